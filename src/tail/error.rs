//! The errors `logtail` can stop with, and the process exit code each maps to.
//!
//! Exit codes are part of logtail's interface (docs/logtail.md; the Salt ACL and logview rely
//! on them): 0 ok, 1 other, 2 usage or configuration, 3 path not allowed,
//! 4 file unreadable or missing, 5 Redis unreachable at start, 6 lock held
//! and not taken over.

use std::path::PathBuf;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: any failure not listed below.
pub const EXIT_OTHER: i32 = 1;
/// Exit code: bad arguments or a bad configuration file.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: the path is outside `allowed_paths`.
pub const EXIT_NOT_ALLOWED: i32 = 3;
/// Exit code: the file is missing or cannot be read.
pub const EXIT_UNREADABLE: i32 = 4;
/// Exit code: Redis could not be reached (or refused the credentials) at start.
pub const EXIT_REDIS: i32 = 5;
/// Exit code: another tailer holds the lock and did not let go in time.
pub const EXIT_LOCK_HELD: i32 = 6;

/// What a caller of `logtail stop|follow` (logview, through Salt or locally)
/// may tell its own client about exit status `code`: a fixed sentence. Its
/// stderr names resolved symlink targets, the allow-list and pids, so it
/// belongs in the caller's server log only, escaped.
pub fn exit_sentence(code: i64) -> &'static str {
    match i32::try_from(code).unwrap_or(EXIT_OTHER) {
        EXIT_OK => "logtail succeeded",
        EXIT_USAGE => "logtail refused its arguments or its configuration file on that host",
        EXIT_NOT_ALLOWED => "the path is not in the allow-list of logtail on that host",
        EXIT_UNREADABLE => "the file is missing or is not a readable regular file on that host",
        EXIT_REDIS => "logtail could not reach Redis from that host",
        EXIT_LOCK_HELD => "another logtail follows this file there and did not stop in time",
        _ => "logtail failed on that host (the details are in logview's log)",
    }
}

/// The caller's message for a failed `logtail stop`: status and sentence.
pub fn stop_failed(code: i64) -> String {
    format!(
        "logtail stop exited with status {code}: {}",
        exit_sentence(code)
    )
}

/// Everything that makes `logtail` stop with a non-zero exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument is malformed or inconsistent with another one.
    #[error("invalid argument {arg}: {reason}")]
    Usage {
        /// The argument (`--stream`, `PATH`, …).
        arg: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The configuration file cannot be read or holds a bad value.
    #[error("configuration {path}: {reason}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// Which key is wrong and why.
        reason: String,
    },
    /// The (canonical) path matches none of the allowed globs.
    #[error("path {path} is not allowed (resolved to {canonical}); allowed_paths = {allowed:?}")]
    NotAllowed {
        /// The path as given.
        path: PathBuf,
        /// The path with symlinks resolved.
        canonical: PathBuf,
        /// The configured globs.
        allowed: Vec<String>,
    },
    /// The file does not exist or cannot be opened for reading.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Redis refused or could not be reached when starting.
    #[error("redis unreachable at start: {0}")]
    RedisAtStart(String),
    /// Redis rejected a command for good (permissions, wrong key type).
    #[error("redis rejected {command}: {detail}")]
    RedisRejected {
        /// The command (`XADD`, `EXPIRE`, …).
        command: &'static str,
        /// The server's message.
        detail: String,
    },
    /// Another tailer holds the lock of this path and did not stop in time.
    #[error("another logtail follows {path} (lock {lock}) and did not stop within {waited_secs}s")]
    LockHeld {
        /// The canonical path.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// How long we waited for it to let go.
        waited_secs: u64,
    },
    /// A system call failed (inotify, signalfd, poll, spawning, the lock directory…).
    #[error("{what}: {source}")]
    Os {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } | Error::Config { .. } => EXIT_USAGE,
            Error::NotAllowed { .. } => EXIT_NOT_ALLOWED,
            Error::Unreadable { .. } => EXIT_UNREADABLE,
            Error::RedisAtStart(_) => EXIT_REDIS,
            Error::LockHeld { .. } => EXIT_LOCK_HELD,
            Error::RedisRejected { .. } | Error::Os { .. } => EXIT_OTHER,
        }
    }

    /// Wraps an OS error with what was being done.
    pub fn os(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Os {
            what: what.into(),
            source,
        }
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_documented_exit_code() {
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let cases = [
            (
                Error::Usage {
                    arg: "--lines",
                    reason: "x".into(),
                },
                2,
            ),
            (
                Error::Config {
                    path: "/c".into(),
                    reason: "x".into(),
                },
                2,
            ),
            (
                Error::NotAllowed {
                    path: "/a".into(),
                    canonical: "/b".into(),
                    allowed: vec![],
                },
                3,
            ),
            (
                Error::Unreadable {
                    path: "/a".into(),
                    source: io(),
                },
                4,
            ),
            (Error::RedisAtStart("x".into()), 5),
            (
                Error::LockHeld {
                    path: "/a".into(),
                    lock: "/l".into(),
                    waited_secs: 1,
                },
                6,
            ),
            (Error::os("poll", io()), 1),
        ];
        for (err, code) in cases {
            assert_eq!(err.exit_code(), code, "{err}");
        }
    }

    #[test]
    fn every_exit_code_has_its_own_fixed_sentence() {
        let codes = [0, 1, 2, 3, 4, 5, 6];
        let sentences: std::collections::BTreeSet<&str> =
            codes.iter().map(|&c| exit_sentence(c)).collect();
        assert_eq!(sentences.len(), codes.len());
        assert_eq!(exit_sentence(-1), exit_sentence(1));
        assert_eq!(exit_sentence(1 << 40), exit_sentence(1));
        assert_eq!(exit_sentence(127), exit_sentence(1));
        assert!(exit_sentence(3).contains("allow-list"));
        assert_eq!(
            stop_failed(3),
            "logtail stop exited with status 3: the path is not in the allow-list of logtail on that host"
        );
    }
}
