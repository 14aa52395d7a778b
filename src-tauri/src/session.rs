//! Where the app finds things: the file to open at launch, the recent-files
//! list (in the app's config dir) and the example gallery (the repository's
//! `workflows/`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use braid_model::parse::parse_workflow;
use serde::Serialize;

use crate::trust::Gallery;

/// How many recent files are remembered.
const MAX_RECENT: usize = 12;

/// Process-wide state, managed by Tauri.
#[derive(Debug)]
pub struct Session {
    /// Where `recent.json` lives (`BRAID_CONFIG_DIR`, else the app config dir).
    pub config_dir: PathBuf,
    /// The example gallery's folder, when one was found.
    pub examples_dir: Option<PathBuf>,
    /// The same gallery as trust sees it (its files are trusted, copies too).
    pub gallery: Arc<Gallery>,
    /// The file named on the command line, if any.
    pub launch_file: Option<PathBuf>,
    /// Serialises read-modify-write of the recent list.
    pub recent_lock: Mutex<()>,
}

/// What the window should show first.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Startup {
    /// The file to open: the command-line path, else the last file worked on.
    pub file: Option<String>,
    /// Why `file` was chosen (`argument`, `recent`) — or `gallery` when none.
    pub reason: StartupReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum StartupReason {
    Argument,
    Recent,
    Gallery,
}

/// One workflow of the example gallery.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Example {
    pub path: String,
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub steps: u32,
    pub groups: u32,
}

impl Session {
    pub fn new(
        config_dir: PathBuf,
        examples_dir: Option<PathBuf>,
        launch_file: Option<PathBuf>,
    ) -> Self {
        Self {
            config_dir,
            gallery: Arc::new(Gallery::new(examples_dir.clone())),
            examples_dir,
            launch_file,
            recent_lock: Mutex::new(()),
        }
    }

    fn recent_file(&self) -> PathBuf {
        self.config_dir.join("recent.json")
    }

    pub fn recent(&self) -> Vec<String> {
        fs::read(self.recent_file())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Vec<String>>(&bytes).ok())
            .unwrap_or_default()
    }

    /// Moves `path` to the front of the recent list. Failing to remember a
    /// file is not worth interrupting the user over, so errors are logged.
    pub fn remember(&self, path: &str) {
        let _guard = self.recent_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut list = self.recent();
        list.retain(|p| p != path);
        list.insert(0, path.to_string());
        list.truncate(MAX_RECENT);
        let write = fs::create_dir_all(&self.config_dir).and_then(|()| {
            fs::write(
                self.recent_file(),
                serde_json::to_string_pretty(&list).unwrap_or_default(),
            )
        });
        if let Err(err) = write {
            tracing::warn!(%err, "could not update the recent-files list");
        }
    }

    pub fn forget(&self, path: &str) {
        let _guard = self.recent_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut list = self.recent();
        list.retain(|p| p != path);
        let _ = fs::write(
            self.recent_file(),
            serde_json::to_string_pretty(&list).unwrap_or_default(),
        );
    }

    pub fn startup(&self) -> Startup {
        if let Some(file) = &self.launch_file {
            return Startup {
                file: Some(file.to_string_lossy().into_owned()),
                reason: StartupReason::Argument,
            };
        }
        match self.recent().into_iter().find(|p| Path::new(p).is_file()) {
            Some(file) => Startup {
                file: Some(file),
                reason: StartupReason::Recent,
            },
            None => Startup {
                file: None,
                reason: StartupReason::Gallery,
            },
        }
    }

    pub fn examples(&self) -> Vec<Example> {
        self.examples_dir
            .as_deref()
            .map(list_examples)
            .unwrap_or_default()
    }
}

/// The workflows directly in `dir` that parse, sorted by file name.
pub fn list_examples(dir: &Path) -> Vec<Example> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.ends_with(".json") && !name.ends_with(".layout.json") && p.is_file()
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let workflow = parse_workflow(&fs::read(&path).ok()?).ok()?;
            Some(Example {
                path: std::path::absolute(&path)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .into_owned(),
                id: workflow.id,
                name: workflow.name,
                description: workflow.description,
                steps: u32::try_from(workflow.steps.len()).unwrap_or(u32::MAX),
                groups: u32::try_from(workflow.groups.len()).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// `BRAID_EXAMPLES_DIR`, else a `workflows/` folder in the working directory
/// or beside/above the executable (a `target/debug` build finds the repo's).
pub fn find_examples_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BRAID_EXAMPLES_DIR") {
        return Some(PathBuf::from(dir));
    }
    let mut candidates = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        candidates.push(cwd.join("workflows"));
    }
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).take(4).map(|d| d.join("workflows")));
    }
    candidates.into_iter().find(|d| d.is_dir())
}

/// What `--help` (`-h`) or `--version` (`-V`) answer, printed instead of
/// opening a window; `None` for a normal launch.
pub fn flag_answer(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<String> {
    let version = format!("braid-desktop {}", env!("CARGO_PKG_VERSION"));
    for arg in args.into_iter().skip(1) {
        match arg.to_str() {
            Some("--help" | "-h") => {
                return Some(format!(
                    "{version}: Braid's visual workflow editor\n\n\
                     Usage: braid-desktop [FILE]\n\n\
                     Opens FILE (a braid/1 workflow); without one, the last file worked on,\n\
                     else the example gallery.\n\n\
                     Options:\n  -h, --help     Print this help\n  -V, --version  Print the version\n\n\
                     Environment: BRAID_DB (the run store), BRAID_CONFIG_DIR, BRAID_EXAMPLES_DIR,\n\
                     BRAID_LOG (log filter). The headless CLI is `braid`."
                ));
            }
            Some("--version" | "-V") => return Some(version),
            _ => {}
        }
    }
    None
}

/// The first command-line argument that is not a flag, as an absolute path.
pub fn launch_file_from_args(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Option<PathBuf> {
    args.into_iter()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .map(PathBuf::from)
        .map(|p| std::path::absolute(&p).unwrap_or(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_most_recent_first_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let session = Session::new(dir.path().join("cfg"), None, None);
        session.remember("/a.json");
        session.remember("/b.json");
        session.remember("/a.json");
        assert_eq!(session.recent(), ["/a.json", "/b.json"]);
        session.forget("/a.json");
        assert_eq!(session.recent(), ["/b.json"]);
    }

    #[test]
    fn startup_prefers_the_argument_then_an_existing_recent_file() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("w.json");
        fs::write(&existing, "{}").unwrap();
        let session = Session::new(dir.path().join("cfg"), None, None);
        assert_eq!(session.startup().reason, StartupReason::Gallery);
        session.remember(&existing.to_string_lossy());
        session.remember("/gone.json");
        let startup = session.startup();
        assert_eq!(startup.reason, StartupReason::Recent);
        assert_eq!(startup.file.unwrap(), existing.to_string_lossy());
        let session = Session::new(dir.path().join("cfg"), None, Some(PathBuf::from("/x.json")));
        assert_eq!(session.startup().reason, StartupReason::Argument);
    }

    #[test]
    fn examples_list_the_repository_workflows() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
        let examples = list_examples(&dir);
        let blog = examples.iter().find(|e| e.id == "blog-publishing").unwrap();
        assert_eq!(blog.groups, 1);
        assert!(examples.iter().all(|e| !e.path.ends_with(".layout.json")));
    }

    #[test]
    fn the_launch_file_is_the_first_non_flag_argument() {
        let args = ["braid-desktop", "--verbose", "w.json"].map(std::ffi::OsString::from);
        let file = launch_file_from_args(args).unwrap();
        assert!(file.is_absolute() && file.ends_with("w.json"));
        assert!(launch_file_from_args([std::ffi::OsString::from("braid-desktop")]).is_none());
    }

    #[test]
    fn help_and_version_are_answered_without_a_window() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        let help = flag_answer(args(&["braid-desktop", "--help"])).unwrap();
        assert!(help.contains("Usage: braid-desktop [FILE]"));
        assert_eq!(flag_answer(args(&["braid-desktop", "-h"])), Some(help));
        let version = flag_answer(args(&["braid-desktop", "--version"])).unwrap();
        assert_eq!(
            version,
            format!("braid-desktop {}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(flag_answer(args(&["braid-desktop", "w.json"])), None);
    }
}
