//! Reading a workflow file without trusting its size.

use std::io::Read;
use std::path::Path;

/// Reads a file, refusing anything over the loader's limit before reading it
/// all (the loader then reports `too_large` from the prefix).
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("cannot read {shown}: not a file"));
    }
    let limit = braid_model::parse::MAX_FILE_BYTES as u64;
    if meta.len() > limit {
        let mut prefix = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut prefix))
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        return Ok(prefix);
    }
    std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))
}
