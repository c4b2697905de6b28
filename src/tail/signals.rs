//! SIGTERM, SIGINT (and SIGCHLD for `exec`) delivered through a signalfd,
//! so the event loop sees them as a readable descriptor: no handlers, no races.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// A signalfd for the signals `logtail` reacts to; they are blocked for
/// normal delivery while it exists.
#[derive(Debug)]
pub struct Signals {
    fd: OwnedFd,
}

fn signal_set(with_child: bool) -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a plain sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGHUP);
        if with_child {
            libc::sigaddset(&mut set, libc::SIGCHLD);
        }
        set
    }
}

impl Signals {
    /// Blocks SIGTERM, SIGINT, SIGHUP (and SIGCHLD when `with_child`) and
    /// opens a non-blocking signalfd for them. SIGHUP is read and ignored:
    /// `cmd.run_bg` may leave logtail without a terminal.
    pub fn new(with_child: bool) -> io::Result<Self> {
        let set = signal_set(with_child);
        // SAFETY: set is initialised; blocking signals is process-wide state we own.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        // SAFETY: set is initialised; the new fd is owned below.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Signals {
            // SAFETY: fd is fresh and ours.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// The descriptor to poll for readability.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The signals received since the last call (without blocking).
    pub fn pending(&self) -> io::Result<Vec<i32>> {
        let mut out = Vec::new();
        loop {
            // SAFETY: signalfd_siginfo is plain data; read fills at most its size.
            let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
            let size = std::mem::size_of::<libc::signalfd_siginfo>();
            // SAFETY: info is valid for writes of `size` bytes.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    (&mut info as *mut libc::signalfd_siginfo).cast(),
                    size,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock => Ok(out),
                    io::ErrorKind::Interrupted => continue,
                    _ => Err(e),
                };
            }
            if n as usize != size {
                return Ok(out);
            }
            out.push(info.ssi_signo as i32);
        }
    }
}

/// Restores an empty signal mask; called in a forked child before `exec`
/// so the command does not inherit logtail's blocked signals.
/// Only async-signal-safe calls.
pub fn unblock_all_in_child() -> io::Result<()> {
    // SAFETY: sigemptyset + sigprocmask are async-signal-safe.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        if libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
