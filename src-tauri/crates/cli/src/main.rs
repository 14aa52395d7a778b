//! `braid` — the headless command line of Braid. Runs the same engine as the
//! desktop app, for CI jobs and scripts. Contract: `shared/spec/cli.md`
//! (commands, exit codes, JSON shapes); extensions are in `docs/cli.md`.
//!
//! Exit status: 0 success, 1 invalid workflow (or a run that did not
//! succeed), 2 bad usage, unreadable file or store error. stdout carries only
//! results; errors, diagnostics and progress go to stderr.

mod commands;
mod exit;
mod output;
mod progress;
mod summary_table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "braid",
    version,
    about = "Design, check and run Braid workflows from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check workflow files and print every problem with its JSON path.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print `{ "files": [...] }` on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show the schedule a workflow would run: levels, predicted durations,
    /// critical path.
    Plan {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run a workflow: live progress on stderr, a summary (or `--json`) on stdout.
    Run {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// An input value; VALUE is parsed as JSON when it is valid JSON, else taken as a string.
        #[arg(long = "input", short = 'i', value_name = "KEY=VALUE")]
        inputs: Vec<String>,
        /// Multiply every simulated (`sim`) duration, e.g. 0.01 to rehearse in seconds.
        #[arg(long, default_value_t = 1.0, value_name = "F")]
        time_scale: f64,
        #[arg(long)]
        json: bool,
        /// Store location. Accepted for forward compatibility and currently
        /// ignored: runs are not stored yet.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Rewrite workflow (and `.layout.json`) files in canonical form.
    Fmt {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Change nothing; exit 1 if any file is not canonical.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout with success, usage errors to stderr.
            let _ = err.print();
            return if err.use_stderr() {
                exit::USAGE.into()
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let code = match cli.command {
        Command::Validate { files, json } => commands::validate::run(&files, json),
        Command::Plan { file, json } => commands::plan::run(&file, json),
        Command::Fmt { files, check } => commands::fmt::run(&files, check),
        Command::Run {
            file,
            inputs,
            time_scale,
            json,
            db: _,
        } => commands::run::run_command(commands::run::RunArgs {
            file: &file,
            inputs: &inputs,
            time_scale,
            json,
        }),
    };
    code.into()
}
