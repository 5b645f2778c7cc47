//! File primitives of the key directory: the directory lock, bounded reads, the private-key
//! permission rule, and atomic writes that never follow a planted symbolic link.
//!
//! Every change to the directory happens under an exclusive `flock` on `.lock`, and every file
//! is written to a fresh temporary name created with `O_CREAT | O_EXCL | O_NOFOLLOW` (so a
//! symbolic link planted at that name makes the open fail instead of redirecting the write),
//! fsynced, renamed into place (a rename replaces a link at the final name, it never writes
//! through it), and the directory fsynced. So a reader never sees a half-written file, a crash
//! leaves either the old or the new file, and two instances starting at once on an empty
//! directory serialise: the first creates the key, the second waits for the lock and then
//! loads that key. `flock` locks are released by the kernel when the process dies, so a crash
//! never leaves a stale lock behind.
//!
//! Readers take a shared lock when they can, so they never see a command half done; on a
//! directory they cannot write (a read-only mount) they read without it and rely on the
//! consistency checks of the layout instead.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use rustix::fs::{FlockOperation, Mode, OFlags, flock};
use rustix::io::Errno;

use crate::error::AuthError;

/// The lock file's name inside the key directory.
pub(crate) const LOCK_FILE: &str = ".lock";
/// The largest key file (or manifest) read: a 16384-bit RSA key in PEM is about 12 KiB.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024;
/// Attempts at a fresh temporary name before a write gives up.
const TEMPORARY_NAME_ATTEMPTS: usize = 8;

/// A held lock on the key directory; released when dropped.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

pub(crate) fn io_error(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> AuthError {
    let path = path.to_owned();
    move |source| AuthError::KeyIo {
        action,
        path,
        source,
    }
}

fn invalid(path: &Path, reason: String) -> AuthError {
    AuthError::KeyInvalid {
        path: path.to_owned(),
        reason,
    }
}

/// Creates the directory (mode 0700) when missing and takes an exclusive lock on it, waiting
/// for any other holder.
pub(crate) fn lock_exclusive(dir: &Path) -> Result<DirLock, AuthError> {
    create_dir(dir)?;
    let path = dir.join(LOCK_FILE);
    // Open for writing: on NFS, flock is emulated with POSIX locks, and an exclusive one
    // needs a descriptor open for writing.
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let file = rustix::fs::open(&path, flags, Mode::from_raw_mode(0o600))
        .map(File::from)
        .map_err(|errno| lock_open_error(&path, errno))?;
    lock(file, &path, FlockOperation::LockExclusive)
}

/// Takes a shared lock so a reader never sees a command half done; `None` when the directory
/// cannot hold a lock file (read-only), in which case the reader goes without.
pub(crate) fn lock_shared(dir: &Path) -> Result<Option<DirLock>, AuthError> {
    let path = dir.join(LOCK_FILE);
    match open_lock_file(&path)? {
        Some(file) => lock(file, &path, FlockOperation::LockShared).map(Some),
        None => Ok(None),
    }
}

/// Opens `.lock` without following a link: read-only when it exists, else creating it. `None`
/// when it is absent and cannot be created (read-only file system, no permission).
fn open_lock_file(path: &Path) -> Result<Option<File>, AuthError> {
    let no_follow = OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::open(path, OFlags::RDONLY | no_follow, Mode::empty()) {
        Ok(fd) => return Ok(Some(File::from(fd))),
        Err(Errno::NOENT) => {}
        Err(errno) => return Err(lock_open_error(path, errno)),
    }
    let flags = OFlags::RDWR | OFlags::CREATE | no_follow;
    match rustix::fs::open(path, flags, Mode::from_raw_mode(0o600)) {
        Ok(fd) => Ok(Some(File::from(fd))),
        Err(Errno::ROFS | Errno::ACCESS | Errno::PERM) => Ok(None),
        Err(errno) => Err(lock_open_error(path, errno)),
    }
}

fn lock_open_error(path: &Path, errno: Errno) -> AuthError {
    if errno == Errno::LOOP {
        return invalid(
            path,
            "is a symbolic link; remove it (the lock file is never followed)".to_owned(),
        );
    }
    io_error("cannot open lock file", path)(std::io::Error::from(errno))
}

fn lock(file: File, path: &Path, operation: FlockOperation) -> Result<DirLock, AuthError> {
    flock(&file, operation)
        .map_err(|errno| io_error("cannot lock", path)(std::io::Error::from(errno)))?;
    Ok(DirLock { _file: file })
}

/// Reads a file of at most [`MAX_FILE_BYTES`], or `None` when it does not exist. Follows
/// symbolic links: a Kubernetes Secret volume is made of them.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, AuthError> {
    match File::open(path) {
        Ok(file) => read_bounded(file, path).map(Some),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error("cannot read", path)(error)),
    }
}

/// Reads a private key file, or `None` when it does not exist; refuses one that group or
/// others may access (mode checked on the opened file, so it is the file that is read).
pub(crate) fn read_private_optional(path: &Path) -> Result<Option<Vec<u8>>, AuthError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error("cannot read", path)(error)),
    };
    let metadata = file.metadata().map_err(io_error("cannot read", path))?;
    let mode = metadata.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(invalid(
            path,
            format!(
                "mode {mode:04o} lets group or others read the private key; run `chmod 600 {}`",
                path.display()
            ),
        ));
    }
    read_bounded(file, path).map(Some)
}

fn read_bounded(file: File, path: &Path) -> Result<Vec<u8>, AuthError> {
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("cannot read", path))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(invalid(
            path,
            format!("larger than {} KiB; not a key file", MAX_FILE_BYTES / 1024),
        ));
    }
    Ok(bytes)
}

/// The file's modification time in Unix seconds, or `None` when it cannot be read.
pub(crate) fn modified_unix_seconds(path: &Path) -> Option<i64> {
    std::fs::metadata(path)
        .ok()
        .map(|metadata| metadata.mtime())
}

/// Replaces `path` with `contents` atomically: a fresh temporary file with `mode`
/// (create-new, no-follow), fsync, rename, fsync of the directory.
pub(crate) fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<(), AuthError> {
    write_atomically_via(path, contents, mode, random_temporary_names(path))
}

/// [`write_atomically`] with the temporary names to try given (tests plant links at them).
pub(crate) fn write_atomically_via(
    path: &Path,
    contents: &[u8],
    mode: u32,
    mut names: impl Iterator<Item = PathBuf>,
) -> Result<(), AuthError> {
    let dir = parent(path);
    let (temporary, mut file) = loop {
        let Some(temporary) = names.next() else {
            return Err(io_error("cannot find a free temporary name for", path)(
                std::io::Error::from(Errno::EXIST),
            ));
        };
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        match rustix::fs::open(
            &temporary,
            flags | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        ) {
            Ok(fd) => break (temporary, File::from(fd)),
            // Something (maybe a planted link) holds the name: never touch it, try another.
            Err(Errno::EXIST | Errno::LOOP) => continue,
            Err(errno) => {
                return Err(io_error("cannot create", &temporary)(std::io::Error::from(
                    errno,
                )));
            }
        }
    };
    let written = std::io::Write::write_all(&mut file, contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error("cannot write", &temporary));
    drop(file);
    let renamed = written.and_then(|()| {
        std::fs::rename(&temporary, path).map_err(io_error("cannot rename into place", path))
    });
    if let Err(error) = renamed {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    after_change_hook();
    sync_dir(dir)
}

/// `.<name>.<16 random hex digits>.tmp` beside `path`, a few times. Names starting with a dot
/// are never taken for keys by readers.
fn random_temporary_names(path: &Path) -> impl Iterator<Item = PathBuf> {
    let dir = parent(path).to_owned();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rng = SystemRandom::new();
    (0..TEMPORARY_NAME_ATTEMPTS).map(move |attempt| {
        let mut bytes = [0u8; 8];
        // The pid and attempt number keep names distinct even if the random source failed.
        let suffix = match rng.fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => u64::from(std::process::id()) << 8 | attempt as u64,
        };
        dir.join(format!(".{name}.{suffix:016x}.tmp"))
    })
}

/// Removes a file (a link itself, never its target) and makes the removal durable; a file
/// already gone is fine.
pub(crate) fn remove(path: &Path) -> Result<(), AuthError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(io_error("cannot remove", path)(error)),
    }
    after_change_hook();
    sync_dir(parent(path))
}

/// Creates a directory (mode 0700) when missing.
pub(crate) fn create_dir(path: &Path) -> Result<(), AuthError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(io_error("cannot create directory", path))
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn sync_dir(dir: &Path) -> Result<(), AuthError> {
    File::open(dir)
        .and_then(|file| file.sync_all())
        .map_err(io_error("cannot sync directory", dir))
}

#[cfg(not(test))]
fn after_change_hook() {}

#[cfg(test)]
pub(crate) use test_hook::{after_change_hook, set_after_change_hook};

/// Tests observe the directory after every single change a command makes.
#[cfg(test)]
mod test_hook {
    use std::cell::RefCell;

    type Hook = Box<dyn FnMut()>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = RefCell::new(None);
    }

    /// Calls `hook` after every rename and removal on this thread until replaced with `None`.
    pub(crate) fn set_after_change_hook(hook: Option<Hook>) {
        HOOK.with(|cell| *cell.borrow_mut() = hook);
    }

    pub(crate) fn after_change_hook() {
        HOOK.with(|cell| {
            if let Some(hook) = cell.borrow_mut().as_mut() {
                hook();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_link_planted_at_the_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        let planted = dir.path().join(".private.pem.planted.tmp");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let fresh = dir.path().join(".private.pem.fresh.tmp");
        let target = dir.path().join("private.pem");
        write_atomically_via(&target, b"key", 0o600, [planted.clone(), fresh].into_iter()).unwrap();
        assert!(!victim.exists(), "the write went through the planted link");
        assert!(planted.symlink_metadata().unwrap().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"key");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        // Every name taken: refused, nothing written anywhere.
        let error = write_atomically_via(&target, b"other", 0o600, [planted].into_iter())
            .unwrap_err()
            .to_string();
        assert!(error.contains("free temporary name"), "{error}");
        assert!(!victim.exists());
        assert_eq!(std::fs::read(&target).unwrap(), b"key");
    }

    #[test]
    fn a_link_at_the_final_name_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let target = dir.path().join("kid.txt");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        write_atomically(&target, b"kid\n", 0o644).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!target.symlink_metadata().unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "kid\n");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_linked_lock_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::os::unix::fs::symlink(&victim, dir.path().join(LOCK_FILE)).unwrap();
        for error in [
            lock_exclusive(dir.path()).unwrap_err().to_string(),
            lock_shared(dir.path()).unwrap_err().to_string(),
        ] {
            assert!(error.contains("symbolic link"), "{error}");
        }
        assert!(!victim.exists());
    }

    #[test]
    fn private_keys_open_to_group_or_others_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.pem");
        std::fs::write(&path, "key").unwrap();
        for mode in [0o640, 0o604, 0o620, 0o644] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let error = read_private_optional(&path).unwrap_err().to_string();
            assert!(
                error.contains(&format!("mode 0{mode:o}"))
                    && error.contains(&format!("chmod 600 {}", path.display()))
                    && error.starts_with(&path.display().to_string()),
                "{error}"
            );
        }
        for mode in [0o600, 0o400] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(read_private_optional(&path).unwrap().unwrap(), b"key");
        }
        assert_eq!(
            read_private_optional(&dir.path().join("none")).unwrap(),
            None
        );
    }

    #[test]
    fn reads_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.pem");
        std::fs::write(&path, vec![b'a'; MAX_FILE_BYTES as usize]).unwrap();
        assert_eq!(
            read_optional(&path).unwrap().unwrap().len() as u64,
            MAX_FILE_BYTES
        );
        std::fs::write(&path, vec![b'a'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let error = read_optional(&path).unwrap_err().to_string();
        assert!(error.contains("larger than 64 KiB"), "{error}");
    }
}
