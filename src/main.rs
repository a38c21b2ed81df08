use std::process::ExitCode;

use clap::Parser;
use s3lease::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints usage errors as `error: ...` and exits 2; help and version are not errors.
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    // Every command: the MFA prompt puts the terminal in raw mode too.
    s3lease::runtime::install_panic_hook();
    let outcome = s3lease::logging::init().and_then(|_| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| s3lease::error::Error::io("starting the async runtime", e))?;
        runtime.block_on(async {
            s3lease::signals::watch();
            s3lease::commands::run(cli).await
        })
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "exiting");
            // Errors echo server messages, keys and config text: none may reach the terminal raw.
            eprintln!("error: {}", s3lease::escape::untrusted_lines(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}
