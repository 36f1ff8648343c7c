//! [`FileTokenStore`]: one token as a JSON file, written atomically with mode 0600, with a lock
//! file that makes refreshing single-flight across processes.

use std::path::{Path, PathBuf};

use crate::token_store::{StoreError, StoreLock, StoredToken, TokenStore};

/// A JSON file holding one token, written atomically (temporary file + rename) with mode 0600.
///
/// Refreshes are serialised across processes by an advisory lock (`flock` on Unix, `LockFileEx`
/// on Windows) on a lock file next to the token file (`<file>.lock`); readers never need it,
/// since a rename replaces the file whole. The temporary file is created exclusively, mode 0600,
/// at an unpredictable name (`.<file>.<32 random hex digits>.tmp`), so a link planted beside the
/// token file can never redirect the write; the lock file is never opened through a link.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path`; the file and its parent directory are created on first save.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { path: path.into() }
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file: the token file's path with `.lock` appended.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn err(&self, message: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }

    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn open_lock_file(&self) -> Result<std::fs::File, StoreError> {
        let lock_path = self.lock_path();
        std::fs::create_dir_all(self.dir()).map_err(|e| self.err(e))?;
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        options
            .open(&lock_path)
            .map_err(|e| self.err(format!("lock file {}: {e}", lock_path.display())))
    }

    /// Takes the refresh lock, blocking until no other process holds it.
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        let file = self.open_lock_file()?;
        #[cfg(any(unix, windows))]
        fs4::FileExt::lock(&file).map_err(|e| self.err(format!("lock: {e}")))?;
        Ok(StoreLock::new(file))
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| self.err(format!("not a valid token file: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(token).map_err(|e| self.err(e))?;
        super::write_atomically(&self.path, &bytes).map_err(|e| self.err(e))
    }

    fn clear(&self) -> Result<(), StoreError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }

    fn try_lock_refresh(&self) -> Result<Option<StoreLock>, StoreError> {
        let file = self.open_lock_file()?;
        // Targets without file locks (wasm) fall back to in-process single flight only.
        #[cfg(any(unix, windows))]
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => return Ok(None),
            Err(fs4::TryLockError::Error(e)) => return Err(self.err(format!("lock: {e}"))),
        }
        Ok(Some(StoreLock::new(file)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::secret::{AccessToken, RefreshToken};

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "zohocrm-{name}-{:x}",
            super::super::unpredictable()
        ))
    }

    fn sample() -> StoredToken {
        let mut t = StoredToken {
            access_token: Some(AccessToken::new("fake-access")),
            expires_at_unix: 0,
            refresh_token: Some(RefreshToken::new("fake-refresh")),
            api_domain: Some("https://www.zohoapis.com".into()),
            scope: None,
        };
        t.set_expires_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        t
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn file_store_round_trips_with_0600() {
        let dir = scratch("store");
        let store = FileTokenStore::new(dir.join("sub/token.json"));
        assert_eq!(store.load().unwrap(), None);
        let t = sample();
        store.save(&t).unwrap();
        assert_eq!(store.load().unwrap(), Some(t));
        #[cfg(unix)]
        assert_eq!(mode(store.path()), 0o600);
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.join("sub")).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn refresh_lock_excludes_other_holders() {
        let dir = scratch("store-lock");
        let a = FileTokenStore::new(dir.join("t.json"));
        let b = FileTokenStore::new(dir.join("t.json"));
        let held = a.try_lock_refresh().unwrap().expect("free at first");
        // flock excludes other open files even within one process.
        assert!(b.try_lock_refresh().unwrap().is_none());
        drop(held);
        assert!(b.try_lock_refresh().unwrap().is_some());
        let blocking = b.lock().unwrap();
        assert!(a.try_lock_refresh().unwrap().is_none());
        drop(blocking);
        #[cfg(unix)]
        assert_eq!(mode(&a.lock_path()), 0o600);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn corrupt_file_is_an_error_not_a_panic() {
        let dir = scratch("store-bad");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.json");
        std::fs::write(&p, b"{not json").unwrap();
        assert!(FileTokenStore::new(&p).load().is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Links planted where the old store put its temporary file (`.NAME.PID.N.tmp`) and at the
    /// lock file: saving and locking leave the link targets alone.
    #[cfg(unix)]
    #[test]
    fn links_planted_beside_the_token_file_are_never_followed() {
        let dir = scratch("store-links");
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let victim_mode = mode(&victim);
        for n in 0..64 {
            let planted = dir.join(format!(".token.json.{}.{n}.tmp", std::process::id()));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        std::os::unix::fs::symlink(&victim, dir.join("token.json.lock")).unwrap();
        let store = FileTokenStore::new(dir.join("token.json"));
        store.save(&sample()).unwrap();
        assert_eq!(store.load().unwrap(), Some(sample()));
        assert!(store.try_lock_refresh().is_err(), "the lock file is a link");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(mode(&victim), victim_mode);
        let _ = std::fs::remove_dir_all(dir);
    }
}
