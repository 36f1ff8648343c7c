//! Driver-side local files: the one place of the core that touches the file system.
//!
//! The [`Exchange`](crate::exchange::Exchange) never comes here: it asks its driver to load or
//! save a token ([`Step::Store`](crate::exchange::Step::Store)), and the driver calls the store.
//! What lives here is called by drivers and clients only: the [file token
//! store](FileTokenStore), the [temporary files](TempFile) of bulk transfers, the length
//! of a file to upload, and the [state files](StateFile) of resumable jobs. A test (`tests/it/sans_io.rs`) checks that no other module of the core
//! uses `std::fs` or `std::net`.

mod state_file;
mod temp;
mod token_file;

pub use state_file::StateFile;
/// A local file (what bulk results are read from).
pub use std::fs::File;
pub use temp::{zip_upload, TempFile};
pub use token_file::FileTokenStore;

/// 128 bits no one outside the process can predict: the standard library's per-process random
/// hash keys, varied by a counter. Used for temporary file names.
pub(crate) fn unpredictable() -> u128 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.write_u32(std::process::id());
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// Opens a new file at `path` for reading and writing: created exclusively (never an existing
/// file, never through a link planted at the name), readable and writable by the owner only
/// (0600 on Unix).
pub(crate) fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// [`open_private`] at `dir/{prefix}{32 random hex digits}{suffix}`, trying another name when
/// one is taken.
pub(crate) fn create_private(
    dir: &std::path::Path,
    prefix: &str,
    suffix: &str,
) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let mut last = None;
    for _ in 0..16 {
        let path = dir.join(format!("{prefix}{:032x}{suffix}", unpredictable()));
        match open_private(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists)))
}

/// Replaces the file at `path` whole with `bytes`: written to a fresh private file beside it
/// (created exclusively, mode 0600), synced, then renamed over it. Concurrent writers (threads
/// or processes) never share a half-written file, and a crash leaves the old file or the new
/// one, never a mix.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let (tmp, mut file) = create_private(dir, &format!(".{file_name}."), ".tmp")?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, path)
        });
    written.inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    /// The token store's temporary file (and the bulk temp files) come from here: a fresh
    /// 128-bit random name each time, never the process id, opened exclusively with mode 0600.
    #[test]
    fn private_files_are_exclusive_0600_at_unpredictable_names() {
        let dir = std::env::temp_dir().join(format!("zohocrm-priv-{:x}", super::unpredictable()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, _) = super::create_private(&dir, ".token.json.", ".tmp").unwrap();
        let (b, _) = super::create_private(&dir, ".token.json.", ".tmp").unwrap();
        assert_ne!(a, b);
        for path in [&a, &b] {
            let name = path.file_name().unwrap().to_str().unwrap();
            let random = &name[".token.json.".len()..name.len() - ".tmp".len()];
            assert_eq!(random.len(), 32, "{name}");
            assert!(random.bytes().all(|c| c.is_ascii_hexdigit()), "{name}");
            assert!(
                !name.contains(&format!(".{}.", std::process::id())),
                "{name}"
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{name}");
            }
        }
        // Exclusive: an existing file is never opened (nor truncated).
        std::fs::write(&a, b"someone else's").unwrap();
        let err = super::open_private(&a).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&a).unwrap(), b"someone else's");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_name_is_never_followed() {
        let dir = std::env::temp_dir().join(format!("zohocrm-link-{:x}", super::unpredictable()));
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim");
        std::fs::write(&victim, b"keep me").unwrap();
        let link = dir.join("planted");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let dangling = dir.join("dangling");
        std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
        assert!(super::open_private(&link).is_err());
        assert!(super::open_private(&dangling).is_err());
        assert!(
            !dir.join("nowhere").exists(),
            "a dangling link creates nothing"
        );
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        let _ = std::fs::remove_dir_all(dir);
    }
}
