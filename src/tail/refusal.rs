//! A `follow` that cannot start: the exit-code error for a refused open
//! (outside the allow-list → 3, not a regular file or missing → 4) and the
//! `stopped: error` event written to the path's own stream, in words that
//! never name where a refused symlink points.

use std::io;
use std::path::Path;
use std::time::Instant;

use super::config::Config;
use super::error::Error;
use super::events;
use super::follow::FollowOptions;
use super::open::{OpenError, Refusal};
use super::publish::Publisher;
use super::STOP_DRAIN;
use crate::wire::StopReason;

/// The error (and exit code) for a refused or failed first open of `path`.
pub fn open_error(path: &Path, allowed: &[String], e: OpenError) -> Error {
    match e {
        OpenError::Refused(Refusal::NotAllowed { real }, _) => Error::NotAllowed {
            path: path.to_owned(),
            canonical: real,
            allowed: allowed.to_vec(),
        },
        OpenError::Refused(Refusal::NotRegular { kind }, _) => Error::Unreadable {
            path: path.to_owned(),
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a regular file (it is {kind})"),
            ),
        },
        OpenError::Io(source) => Error::Unreadable {
            path: path.to_owned(),
            source,
        },
    }
}

/// Writes `stopped: error` for a refused start into the path's stream
/// (derived from the config, so always the path's own; best effort: Redis
/// may be away too), then hands `e` back.
pub fn report_refusal(cfg: &Config, opts: &FollowOptions, e: Error) -> Error {
    let message = match &e {
        Error::NotAllowed { path, .. } => {
            format!(
                "{} is not in the allow-list of logtail on this host",
                path.display()
            )
        }
        other => other.to_string(),
    };
    if let Ok(mut p) = Publisher::connect(cfg, cfg.publish_target(&opts.stream)) {
        let _ = p.push_event(events::stopped(StopReason::Error, message));
        let _ = p.drain_until(Instant::now() + STOP_DRAIN);
        let _ = p.expire(cfg.stream_expire_secs, None);
    }
    e
}
