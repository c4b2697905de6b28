//! One tailer per path per host: an `flock` on a file in `lock_dir` named
//! after the path as given (tailers follow names), plus a request file through which a newer
//! `follow` (takeover) or `logtail stop` asks the holder to stop.
//! No pids, no `ps | grep`: the kernel releases the lock when the holder dies.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use crate::wire::StopReason;

/// How long a takeover or `stop` waits for the holder to let go.
pub const TAKEOVER_WAIT: Duration = Duration::from_secs(10);
const RETRY: Duration = Duration::from_millis(20);

/// The lock and request file of one path.
#[derive(Debug, Clone)]
pub struct LockPaths {
    /// The directory holding both.
    pub dir: PathBuf,
    /// The flock'ed file.
    pub lock: PathBuf,
    /// The request file's name (in `dir`).
    pub request_name: OsString,
    /// The request file.
    pub request: PathBuf,
}

impl LockPaths {
    /// The files for the followed path `canonical` (as given) in `lock_dir`.
    pub fn new(lock_dir: &Path, canonical: &Path) -> Self {
        let stem = file_stem_for(canonical);
        let request_name = OsString::from(format!("{stem}.req"));
        LockPaths {
            dir: lock_dir.to_owned(),
            lock: lock_dir.join(format!("{stem}.lock")),
            request: lock_dir.join(&request_name),
            request_name,
        }
    }
}

/// A file name for a path: bytes outside `[A-Za-z0-9._-]` percent-encoded;
/// very long paths are shortened and made unique with a hash.
fn file_stem_for(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::from("logtail-");
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.len() > 180 {
        // FNV-1a: stable across builds, enough to tell paths apart here.
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        out.truncate(160);
        out.push_str(&format!("~{hash:016x}"));
    }
    out
}

/// A held lock; released when dropped or when the process dies.
#[derive(Debug)]
pub struct PathLock {
    _file: File,
    /// Its files.
    pub paths: LockPaths,
}

impl PathLock {
    /// The stop request waiting for this holder, if any.
    pub fn pending_request(&self) -> Option<StopReason> {
        read_request(&self.paths.request)
    }
}

fn read_request(path: &Path) -> Option<StopReason> {
    let text = std::fs::read_to_string(path).ok()?;
    match text.trim() {
        "replaced" => Some(StopReason::Replaced),
        "stop-command" => Some(StopReason::StopCommand),
        _ => None,
    }
}

fn ensure_dir(dir: &Path) -> Result<()> {
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) => Err(Error::os(
            format!("cannot create lock_dir {}", dir.display()),
            e,
        )),
    }
}

fn open_lock(paths: &LockPaths) -> Result<File> {
    ensure_dir(&paths.dir)?;
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&paths.lock)
        .map_err(|e| Error::os(format!("cannot open lock {}", paths.lock.display()), e))
}

fn try_flock(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.kind() == io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(e)
    }
}

fn write_request(paths: &LockPaths, reason: StopReason) -> Result<()> {
    let tmp = paths.dir.join(format!(
        "{}.{}.tmp",
        paths.request_name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, reason.as_str())
        .and_then(|()| std::fs::rename(&tmp, &paths.request))
        .map_err(|e| {
            Error::os(
                format!("cannot write stop request {}", paths.request.display()),
                e,
            )
        })
}

/// Waits until `file` is locked, asking the holder (again whenever the
/// request file is gone) to stop for `reason`. `Ok(false)` if nobody held it.
fn take(
    file: &File,
    paths: &LockPaths,
    canonical: &Path,
    reason: StopReason,
    wait: Duration,
    interrupted: &mut dyn FnMut() -> bool,
) -> Result<bool> {
    let io_err = |e| Error::os(format!("cannot lock {}", paths.lock.display()), e);
    if try_flock(file).map_err(io_err)? {
        return Ok(false);
    }
    tracing::info!(path = %canonical.display(), reason = %reason, "asking the running tailer to stop");
    let start = Instant::now();
    loop {
        if !paths.request.exists() {
            write_request(paths, reason)?;
        }
        std::thread::sleep(RETRY);
        if try_flock(file).map_err(io_err)? {
            return Ok(true);
        }
        if start.elapsed() >= wait || interrupted() {
            return Err(Error::LockHeld {
                path: canonical.to_owned(),
                lock: paths.lock.clone(),
                waited_secs: start.elapsed().as_secs(),
            });
        }
    }
}

/// Takes the lock of `canonical`, taking over from a running tailer
/// (which stops with `replaced`) within `wait`.
pub fn acquire(
    lock_dir: &Path,
    canonical: &Path,
    wait: Duration,
    interrupted: &mut dyn FnMut() -> bool,
) -> Result<PathLock> {
    let paths = LockPaths::new(lock_dir, canonical);
    let file = open_lock(&paths)?;
    take(
        &file,
        &paths,
        canonical,
        StopReason::Replaced,
        wait,
        interrupted,
    )?;
    // A request left by anyone before we held the lock is not for us.
    let _ = std::fs::remove_file(&paths.request);
    Ok(PathLock { _file: file, paths })
}

/// Stops the tailer of `canonical`, if one runs, with `reason`
/// (`stop-command`, or `replaced` when a successor follows); returns whether one did.
pub fn stop(lock_dir: &Path, canonical: &Path, reason: StopReason, wait: Duration) -> Result<bool> {
    let paths = LockPaths::new(lock_dir, canonical);
    let file = open_lock(&paths)?;
    let was_running = take(&file, &paths, canonical, reason, wait, &mut || false)?;
    let _ = std::fs::remove_file(&paths.request);
    Ok(was_running)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_are_safe_file_names() {
        let p = LockPaths::new(Path::new("/run/logtail"), Path::new("/var/log/a b.log"));
        assert_eq!(
            p.lock,
            Path::new("/run/logtail/logtail-%2Fvar%2Flog%2Fa%20b.log.lock")
        );
        let long = format!("/var/log/{}", "x".repeat(400));
        let p = LockPaths::new(Path::new("/run/logtail"), Path::new(&long));
        let name = p
            .lock
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(name.len() < 255, "{}", name.len());
        let other = LockPaths::new(Path::new("/run/logtail"), Path::new(&format!("{long}y")));
        assert_ne!(p.lock, other.lock);
    }

    #[test]
    fn a_free_lock_is_taken_and_stop_finds_nobody() {
        let dir = tempfile::tempdir().expect("tempdir");
        let locks = dir.path().join("locks");
        let held = acquire(
            &locks,
            Path::new("/var/log/x"),
            Duration::from_secs(1),
            &mut || false,
        )
        .expect("acquire");
        assert!(held.pending_request().is_none());
        drop(held);
        assert!(!stop(
            &locks,
            Path::new("/var/log/x"),
            StopReason::StopCommand,
            Duration::from_secs(1)
        )
        .expect("stop"));
    }

    #[test]
    fn a_held_lock_gets_a_request_and_times_out_with_lock_held() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = acquire(
            dir.path(),
            Path::new("/var/log/x"),
            Duration::from_secs(1),
            &mut || false,
        )
        .expect("acquire");
        // flock locks belong to the open file description: a second open in
        // this process conflicts just like another process would.
        let err = acquire(
            dir.path(),
            Path::new("/var/log/x"),
            Duration::from_millis(100),
            &mut || false,
        )
        .expect_err("held");
        assert_eq!(err.exit_code(), 6);
        assert_eq!(held.pending_request(), Some(StopReason::Replaced));
    }
}
