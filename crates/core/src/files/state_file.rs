//! The state file of a resumable job: JSON, replaced whole at every save.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::jobs::JobError;

/// The largest state file read (a state holds ids and counters; anything bigger is not one).
const MAX_STATE_BYTES: u64 = 1024 * 1024;

/// A JSON file holding a resumable job's state (see [`bulk::resume`](crate::bulk::resume)).
///
/// Every save writes a fresh private file beside it (mode 0600) and renames it over the old
/// one, so a kill at any moment leaves the previous state or the new one, never half of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path` (not read until [`load`](Self::load)).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StateFile { path: path.into() }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, message: impl std::fmt::Display) -> JobError {
        JobError::File(format!("state file {}: {message}", self.path.display()))
    }

    /// The saved state; `None` when there is no file yet.
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<T>, JobError> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.err(e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_STATE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.err(e))?;
        if bytes.len() as u64 > MAX_STATE_BYTES {
            return Err(self.err("larger than 1 MiB: not a state file"));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| self.err(format!("not a valid state file: {e}")))
    }

    /// Replaces the saved state with `state`.
    pub fn save<T: Serialize>(&self, state: &T) -> Result<(), JobError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| self.err(e))?;
        super::write_atomically(&self.path, &bytes).map_err(|e| self.err(e))
    }

    /// Deletes the file (nothing to do when it is absent).
    pub fn remove(&self) -> Result<(), JobError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_replace_whole_and_load_back() {
        let dir =
            std::env::temp_dir().join(format!("zohocrm-state-{:x}", crate::files::unpredictable()));
        let state = StateFile::new(dir.join("export.state"));
        assert_eq!(state.load::<Vec<u32>>().unwrap(), None);
        state.save(&vec![1u32, 2, 3]).unwrap();
        state.save(&vec![4u32]).unwrap();
        assert_eq!(state.load::<Vec<u32>>().unwrap(), Some(vec![4]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(state.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Only the state file is left: no temporary file beside it.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::write(state.path(), b"{not json").unwrap();
        let e = state.load::<Vec<u32>>().unwrap_err().to_string();
        assert!(e.contains("not a valid state file"), "{e}");
        std::fs::write(state.path(), vec![b' '; 2 * 1024 * 1024]).unwrap();
        let e = state.load::<Vec<u32>>().unwrap_err().to_string();
        assert!(e.contains("larger than 1 MiB"), "{e}");
        state.remove().unwrap();
        state.remove().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
