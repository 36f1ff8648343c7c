//! Temporary files of bulk transfers (a result zip being read, a file being written for
//! upload): private, at names no one can plant a link at, and gone when dropped.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::stream::FileUpload;

/// A temporary file that is deleted when dropped (also on every error path that drops it).
///
/// Created exclusively (`O_CREAT|O_EXCL`: never an existing file, never through a symbolic
/// link planted at its name), mode 0600 on Unix, at an unpredictable name
/// `zohocrm-{stem}-{32 random hex digits}.{ext}`. A signal that ends the process runs no
/// destructor: give bulk transfers a `temp_dir` that your signal handler removes (as `zcrm` does).
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// Creates the file in `dir`; returns it open for reading and writing.
    pub fn create(dir: &Path, stem: &str, ext: &str) -> io::Result<(TempFile, File)> {
        let (path, file) =
            super::create_private(dir, &format!("zohocrm-{stem}-"), &format!(".{ext}"))?;
        Ok((TempFile { path }, file))
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The zip at `path` as the `file` part of a multipart upload (its length read from disk, its
/// name sent as the file name); `seed` makes the multipart boundary.
pub fn zip_upload(path: &Path, seed: u128) -> io::Result<FileUpload> {
    let len = std::fs::metadata(path)?.len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data.zip".into());
    Ok(FileUpload::zip(path, len, name, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_files_are_private_unpredictable_and_removed() {
        let dir = std::env::temp_dir();
        let (a, _fa) = TempFile::create(&dir, "t", "zip").unwrap();
        let (b, _fb) = TempFile::create(&dir, "t", "zip").unwrap();
        assert_ne!(a.path(), b.path());
        let name = a.path().file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with("zohocrm-t-") && name.ends_with(".zip"),
            "{name}"
        );
        assert!(!name.contains(&std::process::id().to_string()), "{name}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(a.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let path = a.path().to_owned();
        drop(a);
        assert!(!path.exists());
    }

    /// A panic (or any early return) unwinding past a temporary file removes it. A signal that
    /// ends the process runs no destructor: `zcrm` puts the SDK's temporary files in a private
    /// directory its signal handler removes; applications do the same with `temp_dir`.
    #[test]
    fn temp_files_are_removed_when_a_panic_unwinds() {
        let dir = std::env::temp_dir();
        let mut seen = None;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (t, _f) = TempFile::create(&dir, "unwind", "zip").unwrap();
            seen = Some(t.path().to_owned());
            panic!("interrupted");
        }));
        assert!(result.is_err());
        let path = seen.unwrap();
        assert!(!path.exists(), "{}", path.display());
    }
}
