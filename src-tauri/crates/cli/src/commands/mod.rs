//! One module per subcommand: read the arguments, call the engine, print.

pub mod fmt;
pub mod plan;
pub mod run;
pub mod validate;

use std::path::Path;

use braid_engine::{Validation, load};

/// A workflow file read and validated, or the reason it could not be read.
pub enum Loaded {
    Checked(Validation),
    Unreadable(String),
}

pub fn load_file(path: &Path) -> Loaded {
    match read_file(path) {
        Ok(bytes) => Loaded::Checked(load(&bytes)),
        Err(message) => Loaded::Unreadable(message),
    }
}

/// Reads a file, refusing anything over the loader's limit before reading it all.
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("cannot read {shown}: not a file"));
    }
    let limit = braid_engine::parse::MAX_FILE_BYTES as u64;
    if meta.len() > limit {
        // Let the loader produce its `too_large` diagnostic from a prefix,
        // without reading a huge file into memory.
        use std::io::Read;
        let mut prefix = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut prefix))
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        return Ok(prefix);
    }
    std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))
}
