//! Where tokens are kept between calls and between runs: the [`TokenStore`] trait, an in-memory
//! store and a file store (atomic write via rename, mode 0600 on Unix, and a lock file that
//! makes refreshing single-flight across processes).
//!
//! Stores are called by the [`Session`](crate::session::Session) only when a token is needed and
//! the cached one has expired, and after each refresh; they are the one IO seam of the core and
//! are supplied by the user.
//!
//! A refresh is a read-modify-write of the store: read (stale), mint, write. Two processes
//! sharing a file would otherwise both mint (Zoho allows 10 mints per refresh token per 10
//! minutes) and race on the file. [`TokenStore::try_lock_refresh`] lets the session hold the
//! store for the whole refresh; another process finds it locked, waits, and then reads the
//! token the first one wrote.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::secret::{AccessToken, RefreshToken};

/// A token as stored. `expires_at` is wall-clock time, so it survives restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The access token, if one was minted.
    #[serde(default)]
    pub access_token: Option<AccessToken>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[serde(default)]
    pub expires_at_unix: u64,
    /// The refresh token, when the store also keeps it (e.g. after `zcrm auth login`).
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// The API domain adopted from the token response.
    #[serde(default)]
    pub api_domain: Option<String>,
}

impl StoredToken {
    /// When the access token expires.
    pub fn expires_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at_unix)
    }

    /// Sets the expiry from a wall-clock time.
    pub fn set_expires_at(&mut self, at: SystemTime) {
        self.expires_at_unix = at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
    }
}

/// A token store failure.
#[derive(Debug, thiserror::Error)]
#[error("token store {path}: {message}")]
pub struct StoreError {
    /// The store's location (file path, or a description).
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Exclusive hold of a store for one refresh (see [`TokenStore::try_lock_refresh`]); released
/// when dropped.
pub struct StoreLock {
    _guard: Option<Box<dyn Send + Sync>>,
}

impl StoreLock {
    /// A lock held as long as `guard` lives (e.g. an open, locked file).
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        StoreLock {
            _guard: Some(Box::new(guard)),
        }
    }

    /// A lock that excludes no one: for stores that only one process uses.
    pub fn none() -> Self {
        StoreLock { _guard: None }
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreLock")
    }
}

/// Loads and saves the token of one session (one client and refresh token).
pub trait TokenStore: Send + Sync {
    /// The stored token, or `None` when there is none.
    fn load(&self) -> Result<Option<StoredToken>, StoreError>;
    /// Replaces the stored token.
    fn save(&self, token: &StoredToken) -> Result<(), StoreError>;
    /// Removes the stored token.
    fn clear(&self) -> Result<(), StoreError>;
    /// Takes the store for one refresh without blocking: `Ok(None)` when someone else (another
    /// process) holds it. The session holds the lock from reading a stale token until the new
    /// one is saved. The default excludes no one, which suits stores used by one process.
    fn try_lock_refresh(&self) -> Result<Option<StoreLock>, StoreError> {
        Ok(Some(StoreLock::none()))
    }
}

/// A store that lives as long as the process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    token: Mutex<Option<StoredToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<StoredToken>> {
        self.token.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.slot().clone())
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        *self.slot() = Some(token.clone());
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        *self.slot() = None;
        Ok(())
    }
}

/// A JSON file holding one token, written atomically (temporary file + rename) with mode 0600.
///
/// Refreshes are serialised across processes by an advisory lock (`flock` on Unix, `LockFileEx`
/// on Windows) on a lock file next to the token file (`<file>.lock`); readers never need it,
/// since a rename replaces the file whole.
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

    fn open_lock_file(&self) -> Result<std::fs::File, StoreError> {
        let lock_path = self.lock_path();
        if let Some(dir) = lock_path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.err(e))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
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
        use std::io::Write;
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.err(e))?;
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "token".into());
        // A temporary name unique to this process and write, so concurrent writers (threads or
        // processes) never share a half-written file; the rename then replaces the file whole.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
        let bytes = serde_json::to_vec_pretty(token).map_err(|e| self.err(e))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(|e| self.err(e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| self.err(e))?;
        }
        file.write_all(&bytes).map_err(|e| self.err(e))?;
        file.sync_all().map_err(|e| self.err(e))?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.err(e)
        })
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
    use super::*;

    #[test]
    fn file_store_round_trips_with_0600() {
        let dir = std::env::temp_dir().join(format!("zohocrm-store-{}", std::process::id()));
        let store = FileTokenStore::new(dir.join("sub/token.json"));
        assert_eq!(store.load().unwrap(), None);
        let mut t = StoredToken {
            access_token: Some(AccessToken::new("fake-access")),
            expires_at_unix: 0,
            refresh_token: Some(RefreshToken::new("fake-refresh")),
            api_domain: Some("https://www.zohoapis.com".into()),
        };
        t.set_expires_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        store.save(&t).unwrap();
        assert_eq!(store.load().unwrap(), Some(t));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn refresh_lock_excludes_other_holders() {
        let dir = std::env::temp_dir().join(format!("zohocrm-store-lock-{}", std::process::id()));
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
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(a.lock_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn corrupt_file_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("zohocrm-store-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.json");
        std::fs::write(&p, b"{not json").unwrap();
        assert!(FileTokenStore::new(&p).load().is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
