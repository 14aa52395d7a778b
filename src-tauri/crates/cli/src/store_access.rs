//! Opening the run store named by `--db`, `$BRAID_DB` or the platform default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_store::{Store, resolve_path};

pub fn open(db: Option<&Path>) -> Result<Arc<Store>, String> {
    let path = resolve_path(db.map(PathBuf::from));
    Store::open(&path)
        .map(Arc::new)
        .map_err(|e| format!("cannot open the store at {}: {e}", path.display()))
}

/// The store, or the usage exit code after saying why it cannot be opened
/// (what every command that needs the store does first).
pub fn open_or_exit(db: Option<&Path>) -> Result<Arc<Store>, u8> {
    open(db).map_err(|message| {
        crate::output::error_line(&message);
        crate::exit::USAGE
    })
}

/// The store only if its file already exists (for read-only uses like `plan`).
pub fn open_existing(db: Option<&Path>) -> Option<Arc<Store>> {
    let path = resolve_path(db.map(PathBuf::from));
    if path.is_file() {
        Store::open(&path).ok().map(Arc::new)
    } else {
        None
    }
}
