//! A fast in-memory S3 server for benchmarking listings: moto lists and sorts a whole bucket
//! for every page, which makes it, not the client, the thing measured. This server keeps each
//! bucket in a sorted map and answers a page in O(log n + page size).
//!
//! The first line on stdout is `listening on http://127.0.0.1:PORT`, printed once seeding is
//! done and the socket accepts connections.

mod auth;
mod content;
mod encoding;
mod seed;
mod server;
mod service;
mod store;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use s3s::service::S3ServiceBuilder;
use s3s::validation::{AwsNameValidation, NameValidation as _};

use crate::seed::Layout;
use crate::store::{Object, Store};

#[derive(Debug, Parser)]
#[command(name = "s3lease-bench-server", version, about = "A fast in-memory S3 server for benchmarks")]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one (printed on the first line of stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The only access key accepted; requests must be signed with SigV4.
    #[arg(long, default_value = "bench")]
    access_key: String,
    /// The secret key that goes with it.
    #[arg(long, default_value = "bench-secret")]
    secret_key: String,
    /// A bucket to create at start (repeatable, or a comma-separated list). Every seeded key
    /// goes into every bucket named here.
    #[arg(long = "bucket", value_name = "NAME", value_delimiter = ',')]
    buckets: Vec<String>,
    /// How many synthetic keys to seed.
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed_keys: usize,
    /// The shape of the synthetic keys.
    #[arg(long, value_enum, default_value_t = Layout::Flat)]
    layout: Layout,
    /// Top-level prefixes of the spread layout (p000/ to p{P-1}/).
    #[arg(long, default_value_t = 10, value_name = "P")]
    prefixes: usize,
    /// Size of every seeded object; their bytes are generated on GET, not stored.
    #[arg(long, default_value_t = 1024, value_name = "BYTES")]
    object_size: u64,
    /// Also seed the keys in this file, one per line (only the newline is stripped).
    #[arg(long, value_name = "PATH")]
    seed_file: Option<PathBuf>,
    /// A fixed delay added to every request, standing in for a real region's round trip.
    #[arg(long, default_value_t = 0, value_name = "N")]
    latency_ms: u64,
    /// Exit when stdin closes, so a parent that dies takes this server with it.
    #[arg(long)]
    exit_on_stdin_eof: bool,
    /// Print the synthetic keys `--seed-keys` and `--layout` make, one a line, and exit: what
    /// a benchmark checks every tool's listing against, without asking the server.
    #[arg(long)]
    print_keys: bool,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("s3lease-bench-server: {message}");
    ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_keys {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for key in seed::keys(args.layout, args.prefixes, args.seed_keys) {
            if writeln!(out, "{key}").is_err() {
                return fail("cannot write to stdout");
            }
        }
        return if out.flush().is_ok() { ExitCode::SUCCESS } else { fail("cannot write to stdout") };
    }
    if let Err(message) = check(&args) {
        return fail(message);
    }
    let started = Instant::now();
    let store = match seeded_store(&args) {
        Ok(store) => Arc::new(store),
        Err(message) => return fail(message),
    };
    let seeded: usize = args.buckets.iter().filter_map(|b| store.bucket(b)).map(|b| b.len()).sum();
    if seeded > 0 {
        eprintln!(
            "s3lease-bench-server: seeded {seeded} keys into {} in {:.2} s",
            args.buckets.join(", "),
            started.elapsed().as_secs_f64()
        );
    }

    let mut builder = S3ServiceBuilder::new(service::BenchS3::new(store));
    builder.set_auth(auth::KeyPair::new(&args.access_key, &args.secret_key));
    let service = builder.build();

    let shutdown = match server::shutdown_signal(args.exit_on_stdin_eof) {
        Ok(shutdown) => shutdown,
        Err(e) => return fail(format!("cannot handle signals: {e}")),
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(listener) => listener,
        Err(e) => return fail(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)),
    };
    let port = match listener.local_addr() {
        Ok(addr) => addr.port(),
        Err(e) => return fail(e),
    };
    // Scripts wait for this line, so it must not sit in a buffer.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on http://127.0.0.1:{port}").and_then(|()| stdout.flush()).is_err() {
        return fail("cannot write to stdout");
    }
    drop(stdout);

    server::serve(listener, service, Duration::from_millis(args.latency_ms), shutdown).await;
    ExitCode::SUCCESS
}

fn check(args: &Args) -> Result<(), String> {
    let validation = AwsNameValidation::new();
    for (i, name) in args.buckets.iter().enumerate() {
        if !validation.validate_bucket_name(name) {
            return Err(format!("{name:?} is not a valid bucket name"));
        }
        if args.buckets[..i].contains(name) {
            return Err(format!("bucket {name} is named twice"));
        }
    }
    let seeding = args.seed_keys > 0 || args.seed_file.is_some();
    if seeding && args.buckets.is_empty() {
        return Err("seeding needs at least one --bucket".to_owned());
    }
    if args.layout == Layout::Spread && args.prefixes == 0 {
        return Err("--layout spread needs --prefixes of 1 or more".to_owned());
    }
    Ok(())
}

fn seeded_store(args: &Args) -> Result<Store, String> {
    let store = Store::default();
    let mut keys: Vec<String> = match &args.seed_file {
        Some(path) => seed::read_keys(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => Vec::new(),
    };
    keys.extend(seed::keys(args.layout, args.prefixes, args.seed_keys));
    let created = service::now();
    let object = Object::Synthetic { size: args.object_size };
    for (i, name) in args.buckets.iter().enumerate() {
        let bucket = store.create_bucket(name, created).map_err(|_| format!("bucket {name} is named twice"))?;
        let objects: Box<dyn Iterator<Item = (Box<str>, Object)>> = if i + 1 == args.buckets.len() {
            // The last bucket takes the keys; earlier ones get copies.
            Box::new(std::mem::take(&mut keys).into_iter().map(|k| (k.into_boxed_str(), object.clone())))
        } else {
            Box::new(keys.iter().map(|k| (Box::from(k.as_str()), object.clone())))
        };
        bucket.seed(objects);
    }
    Ok(store)
}
