//! s3lease: browse S3 with temporary credentials from AWS STS.
//!
//! The library holds everything the binary and the integration tests share: configuration
//! and identities, the app-owned credential sessions, the S3 listing worker, the CLI
//! commands, and the local test bed launcher.

pub mod app;
pub mod aws_error;
pub mod cli;
pub mod clients;
pub mod commands;
pub mod complete_xml;
pub mod config;
pub mod credentials;
pub mod duration;
pub mod error;
pub mod escape;
pub mod identity;
pub mod keymap;
pub mod logging;
pub mod panic_report;
pub mod policy_templates;
pub mod private_file;
pub mod response_cap;
pub mod runtime;
pub mod s3;
pub mod secret;
pub mod signals;
pub mod testbed;
pub mod timefmt;
pub mod transfer;
pub mod ui;
pub mod validate;
pub mod worker;
