//! `braid` — the headless command line of Braid. Runs the same engine as the
//! desktop app, for CI jobs and scripts. Contract: `docs/spec/cli.md`
//! (commands, exit codes, JSON shapes); extensions are in `docs/cli.md`.
//!
//! Exit status: 0 success, 1 invalid workflow (or a run that did not
//! succeed), 2 bad usage, unreadable file or store error, 128 + n when
//! signal n stopped a run (130 after Ctrl-C). stdout carries only
//! results; errors, diagnostics and progress go to stderr.

mod commands;
mod exit;
mod output;
mod progress;
mod refusal;
mod runner;
mod store_access;
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
    /// The run store: a SQLite file (default: $BRAID_DB, else braid.db in
    /// the platform data folder, ~/.local/share/braid/ on Linux).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
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
        /// Approve this exact file (and its sub-workflows) to run: needed once
        /// for a workflow that runs commands or reaches services.
        #[arg(long)]
        trust: bool,
        #[arg(long)]
        json: bool,
    },
    /// Run history, newest first; `--prune` deletes old runs.
    Runs {
        #[arg(long, value_name = "ID")]
        workflow: Option<String>,
        /// Only runs with this status.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
            braid_engine::events::RunStatus::ALL.map(|s| s.as_str())
        ))]
        status: Option<String>,
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
        #[arg(long)]
        json: bool,
        /// Delete runs: keep the newest N (`--keep`) and/or drop those older than DAYS.
        #[arg(long)]
        prune: bool,
        #[arg(long, value_name = "N", requires = "prune")]
        keep: Option<usize>,
        #[arg(long, value_name = "DAYS", requires = "prune")]
        older_than: Option<u64>,
    },
    /// One run: steps, attempts, groups, context writes (and events, with --json).
    Show {
        run_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Cancel a run in progress, from any process; waits until it has stopped.
    Cancel {
        run_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve (or `--reject`) a waiting approval step, from any process; the
    /// run continues where it is followed (`braid run`, the app, `braid resume`).
    Approve {
        run_id: String,
        /// The approval step; STEP#INDEX for one element of a map.
        step: String,
        /// Reject instead of approving.
        #[arg(long)]
        reject: bool,
        /// A score from 0 to 100.
        #[arg(long, value_name = "N")]
        score: Option<f64>,
        /// A note for the record (the step's produced key, if it has one).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Print the recorded decision as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Continue an interrupted, failed or waiting run from its last good state.
    Resume {
        run_id: String,
        /// Run again the non-idempotent steps that were mid-attempt when the run died.
        #[arg(long, conflicts_with = "skip_interrupted")]
        retry_interrupted: bool,
        /// Skip them (and what depends on them) instead.
        #[arg(long)]
        skip_interrupted: bool,
        /// Approve sub-workflow files that changed since the run started.
        #[arg(long)]
        trust: bool,
        #[arg(long)]
        json: bool,
    },
    /// A new run reusing the stored results upstream of STEP, running STEP and what follows.
    Rerun {
        run_id: String,
        #[arg(long, value_name = "STEP")]
        from: String,
        /// An edited workflow: results are reused only where definitions are unchanged.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        #[arg(long, value_name = "F")]
        time_scale: Option<f64>,
        /// Approve the edited file (and its sub-workflows) to run.
        #[arg(long)]
        trust: bool,
        #[arg(long)]
        json: bool,
    },
    /// Analytics: critical path, bottlenecks, priced recommendations (one run),
    /// or trends across the last N runs of a workflow.
    Report {
        #[arg(required_unless_present = "workflow", conflicts_with = "workflow")]
        run_id: Option<String>,
        #[arg(long, value_name = "ID")]
        workflow: Option<String>,
        #[arg(long, default_value_t = 50, value_name = "N")]
        last: usize,
        #[arg(long, value_enum, default_value = "text")]
        format: commands::report::Format,
        /// Write the report to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Secrets in the OS keychain, for `{{secret:NAME}}` in http headers and llm api_key.
    Secret {
        #[command(subcommand)]
        action: SecretCommand,
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

#[derive(Subcommand)]
enum SecretCommand {
    /// Store a secret; the value is read from stdin (never from the command line).
    Set { name: String },
    /// Delete a secret.
    Rm { name: String },
    /// List the names of the secrets stored with `set` (never values).
    Ls {
        #[arg(long)]
        json: bool,
    },
}

/// Diagnostics logs (tracing) go to stderr, off unless `BRAID_LOG` asks,
/// e.g. `BRAID_LOG=braid_engine=debug`: stderr belongs to progress.
fn install_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BRAID_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    install_logging();
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
    let db = cli.db.as_deref();
    let code = match cli.command {
        Command::Validate { files, json } => commands::validate::run(&files, json),
        Command::Plan { file, json } => commands::plan::run(&file, json, db),
        Command::Fmt { files, check } => commands::fmt::run(&files, check),
        Command::Run {
            file,
            inputs,
            time_scale,
            trust,
            json,
        } => commands::run::run_command(commands::run::RunArgs {
            file: &file,
            inputs: &inputs,
            time_scale,
            json,
            db,
            trust,
        }),
        Command::Secret { action } => commands::secret::run(match action {
            SecretCommand::Set { name } => commands::secret::Action::Set { name },
            SecretCommand::Rm { name } => commands::secret::Action::Rm { name },
            SecretCommand::Ls { json } => commands::secret::Action::Ls { json },
        }),
        Command::Runs {
            workflow,
            status,
            limit,
            json,
            prune,
            keep,
            older_than,
        } => commands::runs::run(commands::runs::RunsArgs {
            workflow: workflow.as_deref(),
            status: status.as_deref(),
            limit,
            json,
            prune,
            keep,
            older_than,
            db,
        }),
        Command::Show { run_id, json } => commands::show::run(&run_id, json, db),
        Command::Report {
            run_id,
            workflow,
            last,
            format,
            output,
        } => commands::report::run(commands::report::ReportArgs {
            run_id: run_id.as_deref(),
            workflow: workflow.as_deref(),
            last,
            format,
            output: output.as_deref(),
            db,
        }),
        Command::Cancel { run_id, json } => commands::cancel::run(&run_id, json, db),
        Command::Approve {
            run_id,
            step,
            reject,
            score,
            note,
            json,
        } => commands::approve::run(
            commands::approve::Args {
                run_id: &run_id,
                step: &step,
                reject,
                score,
                note,
                json,
            },
            db,
        ),
        Command::Resume {
            run_id,
            retry_interrupted,
            skip_interrupted,
            trust,
            json,
        } => {
            let choice = match (retry_interrupted, skip_interrupted) {
                (true, _) => commands::resume::Interrupted::Retry,
                (_, true) => commands::resume::Interrupted::Skip,
                _ => commands::resume::Interrupted::Ask,
            };
            commands::resume::run(&run_id, choice, json, db, trust)
        }
        Command::Rerun {
            run_id,
            from,
            file,
            time_scale,
            trust,
            json,
        } => commands::rerun::run(commands::rerun::RerunArgs {
            run_id: &run_id,
            from: &from,
            file: file.as_deref(),
            time_scale,
            json,
            db,
            trust,
        }),
    };
    code.into()
}
