//! File primitives of the key directory: the directory lock and atomic writes.
//!
//! Every change to the directory happens under an exclusive `flock` on `.lock`, and every file
//! is written to a fresh temporary name, fsynced, renamed into place, and the directory fsynced.
//! So a reader never sees a half-written file, a crash leaves either the old or the new file,
//! and two instances starting at once on an empty directory serialise: the first creates the
//! key, the second waits for the lock and then loads that key. `flock` locks are released by
//! the kernel when the process dies, so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};

use crate::error::AuthError;

/// The lock file's name inside the key directory.
pub(crate) const LOCK_FILE: &str = ".lock";

/// A held lock on the key directory; released when dropped.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> AuthError {
    let path = path.to_owned();
    move |source| AuthError::KeyIo {
        action,
        path,
        source,
    }
}

/// Creates the directory (mode 0700) when missing and takes an exclusive lock on it, waiting
/// for any other holder.
pub(crate) fn lock_exclusive(dir: &Path) -> Result<DirLock, AuthError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error("cannot create key directory", dir))?;
    lock(dir, FlockOperation::LockExclusive)
}

/// Takes a shared lock, so a reader never sees a rotation half done. The directory must exist.
pub(crate) fn lock_shared(dir: &Path) -> Result<DirLock, AuthError> {
    lock(dir, FlockOperation::LockShared)
}

fn lock(dir: &Path, operation: FlockOperation) -> Result<DirLock, AuthError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(io_error("cannot open lock file", &path))?;
    flock(&file, operation)
        .map_err(|errno| io_error("cannot lock", &path)(std::io::Error::from(errno)))?;
    Ok(DirLock { _file: file })
}

/// Reads a file, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, AuthError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error("cannot read", path)(error)),
    }
}

/// Replaces `path` with `contents` atomically: temporary file with `mode`, fsync, rename,
/// fsync of the directory.
pub(crate) fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<(), AuthError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temporary: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temporary)
        .map_err(io_error("cannot create", &temporary))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error("cannot write", &temporary))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io_error("cannot rename into place", path))?;
    sync_dir(dir)
}

/// Removes a file and makes the removal durable.
pub(crate) fn remove(path: &Path) -> Result<(), AuthError> {
    std::fs::remove_file(path).map_err(io_error("cannot remove", path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Creates a subdirectory (mode 0700) when missing.
pub(crate) fn create_dir(path: &Path) -> Result<(), AuthError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(io_error("cannot create directory", path))
}

fn sync_dir(dir: &Path) -> Result<(), AuthError> {
    File::open(dir)
        .and_then(|file| file.sync_all())
        .map_err(io_error("cannot sync directory", dir))
}
