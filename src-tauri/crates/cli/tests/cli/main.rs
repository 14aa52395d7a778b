//! End-to-end tests of the `braid` binary: real process, real files, exit
//! codes and stdout/stderr exactly as `docs/spec/cli.md` describes.

mod approval;
mod crash;
mod history;
mod loops;
mod plan;
mod run;
mod services;
mod signals;
mod terminal;
mod validate;

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn braid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("braid runs")
}

/// `braid --db DB ARGS…` in the repository root.
pub fn braid_db(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("braid runs")
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .canonicalize()
        .expect("repo root")
}

pub fn examples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("workflows"))
        .expect("workflows/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p.to_string_lossy().ends_with(".layout.json")
        })
        .map(|p| format!("workflows/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
