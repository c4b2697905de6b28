//! inotify for the followed file, its directory (a new file taking the
//! name) and the lock directory (a stop/takeover request): `logtail` sleeps
//! until one of them changes instead of polling.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What changed since the last [`Watcher::read_changes`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    /// The open file was written, truncated, moved or deleted.
    pub file: bool,
    /// An entry with the followed name appeared or disappeared in its directory.
    pub name: bool,
    /// The lock request file was written.
    pub lock_request: bool,
    /// The kernel queue overflowed: assume everything changed.
    pub overflow: bool,
}

/// Which names in a watched directory we care about.
#[derive(Debug)]
struct DirInterest {
    wd: i32,
    name: OsString,
    lock: bool,
}

/// An inotify instance with the watches `follow` needs.
#[derive(Debug)]
pub struct Watcher {
    fd: OwnedFd,
    file_wd: Option<i32>,
    dirs: Vec<DirInterest>,
    buf: Vec<u8>,
}

const FILE_MASK: u32 =
    libc::IN_MODIFY | libc::IN_ATTRIB | libc::IN_MOVE_SELF | libc::IN_DELETE_SELF;
const DIR_MASK: u32 = libc::IN_CREATE
    | libc::IN_MOVED_TO
    | libc::IN_MOVED_FROM
    | libc::IN_DELETE
    | libc::IN_CLOSE_WRITE
    | libc::IN_MASK_ADD;

impl Watcher {
    /// A new, non-blocking inotify instance without watches.
    pub fn new() -> io::Result<Self> {
        // SAFETY: plain syscall; the returned fd is owned below.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Watcher {
            // SAFETY: fd is a fresh descriptor nobody else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            file_wd: None,
            dirs: Vec::new(),
            buf: vec![0u8; 8192],
        })
    }

    /// The descriptor to poll for readability.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn add(&self, path: &Path, mask: u32) -> io::Result<i32> {
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
        // SAFETY: c is a valid NUL-terminated string for the call's duration.
        let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), c.as_ptr(), mask) };
        if wd < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(wd)
        }
    }

    /// Watches the file at `path` (replacing the previous file watch).
    pub fn watch_file(&mut self, path: &Path) -> io::Result<()> {
        self.unwatch_file();
        self.file_wd = Some(self.add(path, FILE_MASK)?);
        Ok(())
    }

    /// Stops watching the file (it was rotated away or deleted).
    pub fn unwatch_file(&mut self) {
        if let Some(wd) = self.file_wd.take() {
            // SAFETY: plain syscall on our own fd; a stale wd only yields EINVAL.
            unsafe { libc::inotify_rm_watch(self.fd.as_raw_fd(), wd) };
        }
    }

    /// Watches `dir` for entries named `name` appearing or disappearing
    /// (`lock`: it is the lock request file rather than the followed name).
    pub fn watch_name(&mut self, dir: &Path, name: &OsStr, lock: bool) -> io::Result<()> {
        let wd = self.add(dir, DIR_MASK)?;
        self.dirs.push(DirInterest {
            wd,
            name: name.to_owned(),
            lock,
        });
        Ok(())
    }

    /// Reads every queued event without blocking and sums them up.
    pub fn read_changes(&mut self) -> io::Result<Changes> {
        let mut changes = Changes::default();
        loop {
            // SAFETY: buf is valid for writes of its length.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock => Ok(changes),
                    io::ErrorKind::Interrupted => continue,
                    _ => Err(e),
                };
            }
            if n == 0 {
                return Ok(changes);
            }
            self.parse(n as usize, &mut changes);
        }
    }

    fn parse(&mut self, len: usize, changes: &mut Changes) {
        const HDR: usize = std::mem::size_of::<libc::inotify_event>();
        let mut off = 0;
        while off + HDR <= len {
            // SAFETY: the kernel wrote a whole inotify_event at `off`;
            // read_unaligned copes with the byte buffer's alignment.
            let ev: libc::inotify_event =
                unsafe { std::ptr::read_unaligned(self.buf[off..].as_ptr().cast()) };
            let name_len = ev.len as usize;
            let name_bytes = &self.buf[off + HDR..(off + HDR + name_len).min(len)];
            let name_end = name_bytes
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_bytes.len());
            let name = OsStr::from_bytes(&name_bytes[..name_end]);
            if ev.mask & libc::IN_Q_OVERFLOW != 0 {
                changes.overflow = true;
            }
            if Some(ev.wd) == self.file_wd {
                changes.file = true;
                if ev.mask & libc::IN_IGNORED != 0 {
                    self.file_wd = None;
                }
            }
            for d in self.dirs.iter().filter(|d| d.wd == ev.wd && d.name == name) {
                if d.lock {
                    changes.lock_request = true;
                } else {
                    changes.name = true;
                }
            }
            off += HDR + name_len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn appends_renames_and_lock_requests_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.log");
        std::fs::write(&path, b"").expect("create");
        let mut w = Watcher::new().expect("inotify");
        w.watch_file(&path).expect("watch file");
        w.watch_name(dir.path(), OsStr::new("app.log"), false)
            .expect("watch dir");
        w.watch_name(dir.path(), OsStr::new("req"), true)
            .expect("watch lock dir");
        assert_eq!(w.read_changes().expect("read"), Changes::default());

        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        f.write_all(b"x\n").expect("write");
        let c = w.read_changes().expect("read");
        assert!(c.file && !c.name && !c.lock_request, "{c:?}");

        std::fs::rename(&path, dir.path().join("app.log.1")).expect("rename");
        let c = w.read_changes().expect("read");
        assert!(c.file && c.name, "{c:?}");

        std::fs::write(dir.path().join("other"), b"").expect("other file");
        assert_eq!(w.read_changes().expect("read"), Changes::default());

        std::fs::write(dir.path().join("req"), b"stop").expect("req");
        assert!(w.read_changes().expect("read").lock_request);
    }
}
