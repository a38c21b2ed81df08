//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::secret::Secret;

#[derive(Debug, Parser)]
#[command(
    name = "s3lease",
    args_conflicts_with_subcommands = true,
    version,
    about = "Browse S3 with temporary credentials from AWS STS",
    long_about = "Browse S3 with temporary credentials from AWS STS.\n\n\
        Identities come from the s3lease config (profile, session-token, federation, assume-role) \
        and from ~/.aws/config. The subcommands reuse them for shells and other AWS tools."
)]
pub struct Cli {
    /// Config file [default: ~/.config/s3lease/config.toml]
    #[arg(long, global = true, env = "S3LEASE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Without a subcommand: open the terminal UI with this identity and MFA code
    #[command(flatten)]
    pub who: IdentityArgs,

    /// Without a subcommand: refuse uploads and deletes (as `read_only = true` in the config)
    #[arg(long)]
    pub read_only: bool,

    /// Without a subcommand: where the browser opens, s3://BUCKET[/PREFIX]
    #[arg(value_name = "S3_URI")]
    pub uri: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct IdentityArgs {
    /// Identity to use [default: the first configured one]
    #[arg(long, short = 'i', env = "S3LEASE_IDENTITY", value_name = "NAME")]
    pub identity: Option<String>,

    /// MFA code, when the identity (or one it is derived from) needs one
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<Secret>,
}

#[derive(Debug, Args, Clone)]
pub struct RequiredIdentityArgs {
    /// Identity whose credentials to hand out
    #[arg(long, short = 'i', value_name = "NAME")]
    pub identity: String,

    /// MFA code, when the identity (or one it is derived from) needs one
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<Secret>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every identity: from the s3lease config, from ~/.aws/config, and the default chain
    Identities {
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Start an identity and show who it is and when its credentials expire
    Whoami {
        #[command(flatten)]
        who: IdentityArgs,
        /// JSON with identity, kind, chain, arn, expires_at
        #[arg(long)]
        json: bool,
    },
    /// List buckets, one level of a prefix, or every key below it (streams as pages arrive)
    Ls {
        #[command(flatten)]
        who: IdentityArgs,
        /// Every key below the prefix instead of one level
        #[arg(long, short = 'r')]
        recursive: bool,
        /// With --recursive: folders listed at once (1-64; default: list_concurrency, 8)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=64), requires = "recursive")]
        concurrency: Option<u8>,
        /// One JSON object per line: kind, key, size, last_modified, etag, storage_class
        #[arg(long)]
        json: bool,
        /// s3://BUCKET[/PREFIX]; without it, list buckets
        #[arg(value_name = "S3_URI")]
        uri: Option<String>,
    },
    /// Print the identity's credentials as environment variables (for eval in a shell)
    Env {
        #[command(flatten)]
        who: RequiredIdentityArgs,
        #[arg(long, value_enum, default_value_t = EnvFormat::Sh)]
        format: EnvFormat,
    },
    /// Print credentials in the AWS credential_process format, for a profile in ~/.aws/config
    CredentialProcess {
        #[command(flatten)]
        who: RequiredIdentityArgs,
    },
    /// Start a local S3+STS server seeded with buckets and identities, and open the UI on it
    Demo {
        /// Only run the server and print the environment for using it from other shells
        #[arg(long)]
        serve: bool,
        /// Objects in the demo's big prefix (s3://demo-big/events/)
        #[arg(long, default_value_t = 20_000, value_name = "N")]
        big_keys: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvFormat {
    Sh,
    Fish,
    Json,
}
