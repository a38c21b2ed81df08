//! S3 calls and the data they return, shared by the worker (TUI) and the CLI.

pub mod find;
pub mod list;
pub mod object;
pub mod region;
pub mod token_guard;
pub mod uri;
pub mod walk;

pub use list::{Bucket, Object, Page};
pub use uri::S3Uri;
