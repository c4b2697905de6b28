//! Every open of a followed file (start, rotation, re-creation, the backlog
//! read from the same descriptor) goes through [`open_checked`]: the check is
//! made on the *opened descriptor*, never on the name, so there is no window
//! between check and open in which a symlink or directory swap could send
//! `logtail` (root) outside the allow-list.
//!
//! 1. `open(path, O_PATH|O_CLOEXEC)`: resolves the name (symlinks followed,
//!    like `tail -F`) without opening the file itself — a FIFO cannot block
//!    and a device driver's `open` (a watchdog, a tape) never runs;
//! 2. `fstat` of that descriptor: a regular file, still linked;
//! 3. `readlink /proc/self/fd/N`: its real path, checked with the one path
//!    rule ([`crate::path_glob::path_is_allowed`]);
//! 4. the same inode is opened for reading through `/proc/self/fd/N`
//!    (`O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC`, no name lookup), its
//!    (dev, inode) compared with step 2, then `O_NONBLOCK` is cleared.
//!
//! Without `/proc` nothing can be checked, and nothing is opened.

use std::ffi::CString;
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::path_glob::path_is_allowed;

/// Why a path that exists is not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The name resolves to a file outside `allowed_paths` (a symlink or a
    /// swapped directory pointing elsewhere).
    NotAllowed {
        /// Where it really is (logtail's own log only: never in an event).
        real: PathBuf,
    },
    /// The name is not a regular file (a FIFO, a device, a directory…).
    NotRegular {
        /// What it is, in words.
        kind: &'static str,
    },
}

impl Refusal {
    /// The `reason` field of the event reporting it.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotAllowed { .. } => "not-allowed",
            Refusal::NotRegular { .. } => "not-regular",
        }
    }

    /// What the name points to, for people, without revealing a target
    /// outside the allow-list.
    pub fn sentence(&self, path: &Path) -> String {
        match self {
            Refusal::NotAllowed { .. } => format!(
                "{} now points outside the allowed paths; not followed",
                path.display()
            ),
            Refusal::NotRegular { kind } => format!(
                "{} is not a regular file (it is {kind}); not followed",
                path.display()
            ),
        }
    }
}

/// Why [`open_checked`] returned no file.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The path exists but must not be read; with the (dev, inode) it resolved to.
    #[error("refused ({})", .0.code())]
    Refused(Refusal, (u64, u64)),
    /// The path is missing or the system refused (ENOENT, EACCES, no /proc…).
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A checked, open, regular file inside the allow-list.
#[derive(Debug)]
pub struct Opened {
    /// Open for reading, blocking mode.
    pub file: File,
    /// Its metadata at open time.
    pub meta: Metadata,
}

/// Opens `path` for reading if, and only if, the file it resolves to is a
/// regular file whose real path `allowed` permits (see the module doc).
pub fn open_checked(path: &Path, allowed: &[String]) -> Result<Opened, OpenError> {
    let probe = open_raw(path, libc::O_PATH | libc::O_CLOEXEC)?;
    let probe = File::from(probe);
    let meta = probe.metadata()?;
    let identity = (meta.dev(), meta.ino());
    if !meta.is_file() {
        let kind = kind_of(&meta);
        return Err(OpenError::Refused(Refusal::NotRegular { kind }, identity));
    }
    if meta.nlink() == 0 {
        // Deleted between the lookup and now: as good as missing.
        return Err(io::Error::from(io::ErrorKind::NotFound).into());
    }
    let fd_path = PathBuf::from(format!("/proc/self/fd/{}", probe.as_raw_fd()));
    let real = std::fs::read_link(&fd_path)?;
    let permitted = real.to_str().is_some_and(|r| path_is_allowed(allowed, r));
    if !permitted {
        return Err(OpenError::Refused(Refusal::NotAllowed { real }, identity));
    }
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    let file = File::from(open_raw(&fd_path, flags)?);
    let opened_meta = file.metadata()?;
    if (opened_meta.dev(), opened_meta.ino()) != identity {
        return Err(io::Error::other("the file changed while it was opened").into());
    }
    clear_nonblock(&file)?;
    Ok(Opened {
        file,
        meta: opened_meta,
    })
}

fn open_raw(path: &Path, flags: i32) -> io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
    loop {
        // SAFETY: c is a valid NUL-terminated string for the call's duration.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd >= 0 {
            // SAFETY: fd is a fresh descriptor nobody else owns.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn clear_nonblock(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: plain fcntl calls on a descriptor we own.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(dir: &Path) -> Vec<String> {
        vec![format!("{}/**", dir.display())]
    }

    fn root() -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::Builder::new()
            .prefix("op")
            .tempdir()
            .expect("tempdir");
        let logs = t.path().canonicalize().expect("canonical").join("logs");
        std::fs::create_dir(&logs).expect("logs");
        (t, logs)
    }

    #[test]
    fn a_regular_file_and_a_symlink_inside_are_opened_blocking() {
        let (_t, logs) = root();
        std::fs::write(logs.join("a.log"), b"x\n").expect("write");
        std::os::unix::fs::symlink("a.log", logs.join("cur.log")).expect("symlink");
        let o = open_checked(&logs.join("cur.log"), &allowed(&logs)).expect("allowed");
        let target = std::fs::metadata(logs.join("a.log")).expect("stat");
        assert_eq!((o.meta.dev(), o.meta.ino()), (target.dev(), target.ino()));
        // SAFETY: plain fcntl on an fd we own.
        let flags = unsafe { libc::fcntl(o.file.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0);
        assert_eq!(flags & libc::O_ACCMODE, libc::O_RDONLY);
    }

    #[test]
    fn a_symlink_or_directory_out_of_the_allow_list_is_refused() {
        let (t, logs) = root();
        let outside = t.path().canonicalize().expect("c").join("outside");
        std::fs::create_dir(&outside).expect("outside");
        std::fs::write(outside.join("secret"), b"s\n").expect("secret");
        std::os::unix::fs::symlink(outside.join("secret"), logs.join("x.log")).expect("ln");
        std::os::unix::fs::symlink(&outside, logs.join("sub")).expect("ln dir");
        for p in [logs.join("x.log"), logs.join("sub/secret")] {
            match open_checked(&p, &allowed(&logs)) {
                Err(OpenError::Refused(Refusal::NotAllowed { real }, _)) => {
                    assert_eq!(real, outside.join("secret"));
                }
                other => panic!("{p:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_t, logs) = root();
        let p = logs.join("f.log");
        let c = CString::new(p.as_os_str().as_bytes()).expect("c");
        // SAFETY: valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        match open_checked(&p, &allowed(&logs)) {
            Err(OpenError::Refused(r @ Refusal::NotRegular { .. }, _)) => {
                assert!(r.sentence(&p).contains("a FIFO"), "{}", r.sentence(&p));
            }
            other => panic!("{other:?}"),
        }
        assert!(open_checked(Path::new("/dev/null"), &["/dev/*".to_owned()]).is_err());
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let (_t, logs) = root();
        assert!(matches!(
            open_checked(&logs.join("nope.log"), &allowed(&logs)),
            Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound
        ));
    }
}
