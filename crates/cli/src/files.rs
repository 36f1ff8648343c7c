//! Local files `zcrm` writes: the `-o` file of `bulk export`, private directories for the
//! temporary files of bulk jobs, and their removal when the process is interrupted.
//!
//! - Temporary files and directories are created exclusively (`O_CREAT|O_EXCL`, which never
//!   follows a symbolic link planted at the name), readable by the user only (0600 files, 0700
//!   directories), with a random part in their names.
//! - On SIGINT, SIGTERM or SIGHUP, [`install_cleanup`]'s thread removes every registered path,
//!   then ends the process as the signal would have (so a shell sees "interrupted").
//! - The export's destination: a regular file is replaced atomically by a file written beside
//!   it, which keeps the old file's mode (a new file is 0600: it holds CRM data); a FIFO or a
//!   device is written in place, never replaced; a symbolic link is followed, not replaced.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::CliError;

/// Paths removed when the process is interrupted.
static CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn cleanup_list() -> MutexGuard<'static, Vec<PathBuf>> {
    CLEANUP.lock().unwrap_or_else(PoisonError::into_inner)
}

fn remove_path(path: &Path) {
    // A directory may be written to by the SDK while it is removed: try again then.
    for _ in 0..3 {
        let done = match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(path),
            Ok(_) => fs::remove_file(path),
            Err(_) => return,
        };
        if done.is_ok() {
            return;
        }
    }
}

/// Starts the thread that removes the registered paths on SIGINT, SIGTERM or SIGHUP and then
/// ends the process as the signal's default action would.
#[cfg(unix)]
pub fn install_cleanup() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("zcrm-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until the process ends: nothing new is registered (created) meanwhile.
                let mut paths = cleanup_list();
                for path in paths.drain(..) {
                    remove_path(&path);
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    drop(spawned);
}

/// Without Unix signals there is nothing to install; temporary files are removed on drop.
#[cfg(not(unix))]
pub fn install_cleanup() {}

/// A name part no other process (or earlier run) guesses: random per process and per call.
fn random_part() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    format!("{:016x}", h.finish())
}

/// Creates `make(name)` under `dir` with a fresh random name, registered for removal on
/// interruption before it exists (the registry's lock is held across the creation).
fn create_registered<T>(
    dir: &Path,
    stem: &str,
    suffix: &str,
    make: impl Fn(&Path) -> io::Result<T>,
) -> io::Result<(PathBuf, T)> {
    let mut last = None;
    for _ in 0..16 {
        let path = dir.join(format!(
            ".{stem}.zcrm-{}-{}{suffix}",
            std::process::id(),
            random_part()
        ));
        let mut list = cleanup_list();
        match make(&path) {
            Ok(made) => {
                list.push(path.clone());
                return Ok((path, made));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

fn unregister(path: &Path) {
    cleanup_list().retain(|p| p != path);
}

/// A directory only the user can enter, removed with its content when dropped or on
/// interruption: where the SDK puts a bulk job's zips.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// A new directory in `parent`, named `.STEM.zcrm-PID-RANDOM.d`.
    pub fn new_in(parent: &Path, stem: &str) -> io::Result<PrivateDir> {
        let (path, ()) = create_registered(parent, stem, ".d", |p| {
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(p)
        })?;
        Ok(PrivateDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        unregister(&self.path);
        remove_path(&self.path);
    }
}

/// A file created exclusively, mode 0600, removed when dropped or on interruption unless it
/// was [committed](Self::commit) over its destination.
#[derive(Debug)]
struct PartialFile {
    path: PathBuf,
    done: bool,
}

impl PartialFile {
    fn new_in(dir: &Path, stem: &str) -> io::Result<(PartialFile, File)> {
        let (path, file) = create_registered(dir, stem, ".partial", |p| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(p)
        })?;
        Ok((PartialFile { path, done: false }, file))
    }

    /// Renames the file over `dest`, with `permissions` when given.
    fn commit(mut self, dest: &Path, permissions: Option<fs::Permissions>) -> io::Result<()> {
        if let Some(p) = permissions {
            fs::set_permissions(&self.path, p)?;
        }
        fs::rename(&self.path, dest)?;
        self.done = true;
        unregister(&self.path);
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.done {
            unregister(&self.path);
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The output of a resumable export (`bulk export --state`): a hidden file beside the
/// destination, `.NAME.zcrm-resume`, kept when the process ends or is interrupted so that a
/// rerun continues it, and renamed over the destination when the export is finished. Created
/// exclusively, mode 0600, never through a symbolic link.
#[derive(Debug)]
pub struct KeptPartial {
    path: PathBuf,
    dest: PathBuf,
}

impl KeptPartial {
    /// The kept file of the export to `name` (a regular file or a new name).
    pub fn for_dest(name: &str) -> Result<KeptPartial, CliError> {
        let dest = PathBuf::from(name);
        let meta = fs::symlink_metadata(&dest).ok();
        if name == "-" || meta.as_ref().is_some_and(|m| !m.is_file()) {
            return Err(CliError::Usage(format!(
                "-o {name}: --state needs a regular file to write (not a link, a directory, a \
                 FIFO or stdout)"
            )));
        }
        let file_name = dest
            .file_name()
            .ok_or_else(|| CliError::Usage(format!("-o {name}: name a file, e.g. -o leads.csv")))?
            .to_string_lossy()
            .into_owned();
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        Ok(KeptPartial {
            path: dir.join(format!(".{file_name}.zcrm-resume")),
            dest,
        })
    }

    /// The kept file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the kept file exists.
    pub fn exists(&self) -> bool {
        fs::symlink_metadata(&self.path).is_ok()
    }

    /// Opens the kept file for writing at `keep` bytes: a new file when `keep` is 0 (anything
    /// left at the name by an earlier run is removed first), else the earlier run's file cut
    /// back to `keep` bytes (what it wrote after them is dropped).
    pub fn open(&self, keep: u64) -> io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        if keep == 0 {
            match fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            return options.create_new(true).open(&self.path);
        }
        let mut file = options.open(&self.path)?;
        let len = file.metadata()?.len();
        if len < keep {
            return Err(io::Error::other(format!(
                "{} has {len} bytes, fewer than the {keep} the state file records",
                self.path.display()
            )));
        }
        file.set_len(keep)?;
        io::Seek::seek(&mut file, io::SeekFrom::End(0))?;
        Ok(file)
    }

    /// Renames the finished file over the destination.
    pub fn commit(&self) -> io::Result<()> {
        fs::rename(&self.path, &self.dest)
    }
}

/// Where `bulk export` writes; see the module docs.
#[derive(Debug)]
pub enum ExportFile {
    /// A FIFO, a device or a socket: written in place.
    InPlace {
        /// The opened destination.
        file: File,
    },
    /// A regular file (new or replaced): written beside it, renamed over it at the end.
    Replace {
        /// The file being written.
        file: File,
        partial: PartialFileHandle,
        /// The destination (symbolic links resolved).
        dest: PathBuf,
        /// The mode of the file replaced.
        permissions: Option<fs::Permissions>,
    },
}

/// The partial file of an [`ExportFile::Replace`] (opaque).
#[derive(Debug)]
pub struct PartialFileHandle(PartialFile);

impl ExportFile {
    /// Opens the destination `name` (see the module docs).
    pub fn open(name: &str) -> Result<ExportFile, CliError> {
        let cannot = |e: io::Error| CliError::Usage(format!("cannot write {name}: {e}"));
        let given = PathBuf::from(name);
        let is_link = fs::symlink_metadata(&given).is_ok_and(|m| m.file_type().is_symlink());
        // What the name leads to, symbolic links followed.
        let meta = match fs::metadata(&given) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound && is_link => {
                return Err(CliError::Usage(format!(
                    "-o {name}: a symbolic link that leads nowhere"
                )))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(cannot(e)),
        };
        match meta {
            Some(m) if m.is_dir() => Err(CliError::Usage(format!(
                "-o {name}: is a directory; name a file, e.g. -o {}",
                given.join("export.csv").display()
            ))),
            Some(m) if !m.is_file() => {
                // A FIFO, a device, /dev/stdout: written where it is, never replaced.
                let file = OpenOptions::new()
                    .write(true)
                    .open(&given)
                    .map_err(cannot)?;
                Ok(ExportFile::InPlace { file })
            }
            existing => {
                // A link to a regular file: the file is replaced, the link stays.
                let dest = if is_link {
                    fs::canonicalize(&given).map_err(cannot)?
                } else {
                    given
                };
                let file_name = dest
                    .file_name()
                    .ok_or_else(|| {
                        CliError::Usage(format!("-o {name}: name a file, e.g. -o leads.csv"))
                    })?
                    .to_string_lossy()
                    .into_owned();
                let dir = match dest.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                    _ => PathBuf::from("."),
                };
                let (partial, file) = PartialFile::new_in(&dir, &file_name).map_err(cannot)?;
                Ok(ExportFile::Replace {
                    file,
                    partial: PartialFileHandle(partial),
                    dest,
                    permissions: existing.map(|m| m.permissions()),
                })
            }
        }
    }

    /// Where the bulk job's temporary zips go: beside a replaced file, else the system's
    /// temporary directory.
    pub fn temp_parent(&self) -> PathBuf {
        match self {
            ExportFile::Replace { dest, .. } => match dest.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            },
            ExportFile::InPlace { .. } => std::env::temp_dir(),
        }
    }

    /// The file to write.
    pub fn file(&self) -> io::Result<File> {
        match self {
            ExportFile::InPlace { file } | ExportFile::Replace { file, .. } => file.try_clone(),
        }
    }

    /// Ends the export: syncs, and puts a replacement in place.
    pub fn commit(self) -> io::Result<()> {
        match self {
            ExportFile::InPlace { file } => file.sync_all().or_else(|e| {
                // FIFOs and character devices cannot be synced; that is not a failure.
                if e.kind() == io::ErrorKind::InvalidInput {
                    Ok(())
                } else {
                    Err(e)
                }
            }),
            ExportFile::Replace {
                file,
                partial,
                dest,
                permissions,
            } => {
                file.sync_all()?;
                drop(file);
                partial.0.commit(&dest, permissions)
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PrivateDir {
        PrivateDir::new_in(&std::env::temp_dir(), name).unwrap()
    }

    #[test]
    fn private_dirs_are_0700_and_removed() {
        let dir = scratch("t");
        let path = dir.path().to_owned();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(cleanup_list().contains(&path));
        File::create(path.join("x.zip")).unwrap();
        drop(dir);
        assert!(!path.exists());
        assert!(!cleanup_list().contains(&path));
    }

    #[test]
    fn an_existing_file_is_replaced_keeping_its_mode() {
        let dir = scratch("replace");
        let dest = dir.path().join("out.csv");
        fs::write(&dest, "old").unwrap();
        fs::set_permissions(&dest, fs::Permissions::from_mode(0o640)).unwrap();
        let target = ExportFile::open(dest.to_str().unwrap()).unwrap();
        target.file().unwrap().write_all(b"new").unwrap();
        target.commit().unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "new");
        let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // A new file is the user's alone; nothing else is left in the directory.
        let fresh = dir.path().join("fresh.csv");
        let target = ExportFile::open(fresh.to_str().unwrap()).unwrap();
        target.commit().unwrap();
        let mode = fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_failed_export_leaves_nothing_and_keeps_the_old_file() {
        let dir = scratch("fail");
        let dest = dir.path().join("out.csv");
        fs::write(&dest, "old").unwrap();
        let target = ExportFile::open(dest.to_str().unwrap()).unwrap();
        target.file().unwrap().write_all(b"half").unwrap();
        drop(target);
        assert_eq!(fs::read_to_string(&dest).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_symbolic_link_is_followed_not_replaced() {
        let dir = scratch("link");
        let real = dir.path().join("real.csv");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let target = ExportFile::open(link.to_str().unwrap()).unwrap();
        target.file().unwrap().write_all(b"new").unwrap();
        target.commit().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink(dir.path().join("missing"), &dangling).unwrap();
        assert!(ExportFile::open(dangling.to_str().unwrap()).is_err());
    }

    #[test]
    fn a_link_planted_at_the_name_is_never_followed() {
        let dir = scratch("planted");
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let tries = std::cell::Cell::new(0);
        let (path, mut file) = create_registered(dir.path(), "out.csv", ".partial", |p| {
            if tries.replace(tries.get() + 1) == 0 {
                // An attacker who guessed the first name.
                std::os::unix::fs::symlink(&victim, p).unwrap();
            }
            OpenOptions::new().write(true).create_new(true).open(p)
        })
        .unwrap();
        assert_eq!(tries.get(), 2, "the taken name is skipped");
        file.write_all(b"export").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(&path).unwrap(), "export");
        unregister(&path);
    }

    #[test]
    fn a_device_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        let target = ExportFile::open("/dev/null").unwrap();
        assert!(matches!(target, ExportFile::InPlace { .. }));
        target.file().unwrap().write_all(b"x").unwrap();
        target.commit().unwrap();
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
    }
}
