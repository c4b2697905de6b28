//! The events `logtail` writes (built on [`crate::wire::Event`]) with their fields
//! and the sentences people read in the viewer.

use std::path::Path;

use super::open::Refusal;
use super::owner::Owner;
use crate::wire::{Event, EventKind, StopReason};

/// `started` for a file: host, pid, path, inode, size, and `backlog`: how
/// many lines of backlog follow it (logview counts a viewer's share from it).
pub fn started_file(owner: &Owner, path: &Path, inode: u64, size: u64, backlog: u64) -> Event {
    Event::new(
        EventKind::Started,
        format!(
            "following {} on {} ({size} bytes)",
            path.display(),
            owner.host
        ),
    )
    .with("host", &owner.host)
    .with("pid", owner.pid)
    .with("path", path.display())
    .with("inode", inode)
    .with("size", size)
    .with(crate::wire::field::BACKLOG, backlog)
}

/// `started` for a command: host, pid (logtail's), program, child pid.
pub fn started_exec(owner: &Owner, program: &str, child: u32) -> Event {
    Event::new(
        EventKind::Started,
        format!("running {program} on {}", owner.host),
    )
    .with("host", &owner.host)
    .with("pid", owner.pid)
    .with("program", program)
    .with("child_pid", child)
}

/// `rotated`: the old file was drained, the new one is read from 0.
pub fn rotated(from_inode: u64, to_inode: u64) -> Event {
    Event::new(
        EventKind::Rotated,
        format!("file rotated: finished inode {from_inode}, now following inode {to_inode}"),
    )
    .with("from_inode", from_inode)
    .with("inode", to_inode)
}

/// `truncated`: the file shrank; reading restarts at 0.
pub fn truncated(at: u64, size: u64) -> Event {
    Event::new(
        EventKind::Truncated,
        format!(
            "file truncated (was read up to byte {at}, now {size} bytes); reading from the start"
        ),
    )
    .with("offset", at)
    .with("size", size)
}

/// `missing`: the file was deleted and is awaited.
pub fn missing(path: &Path) -> Event {
    Event::new(
        EventKind::Missing,
        format!(
            "{} was deleted; waiting for it to come back",
            path.display()
        ),
    )
}

/// `missing` for a name that now resolves to something not followed (outside
/// the allow-list, a FIFO, a device…): the sentence never names the target.
pub fn refused(path: &Path, refusal: &Refusal) -> Event {
    Event::new(EventKind::Missing, refusal.sentence(path)).with("reason", refusal.code())
}

/// `reappeared`: the file is back, read from 0.
pub fn reappeared(inode: u64) -> Event {
    Event::new(
        EventKind::Reappeared,
        format!("file is back (inode {inode}); reading from the start"),
    )
    .with("inode", inode)
}

/// `dropped` by the rate limit (exact count).
pub fn rate_dropped(count: u64) -> Event {
    Event::new(
        EventKind::Dropped,
        format!("{count} lines dropped by the rate limit"),
    )
    .with("count", count)
    .with("reason", "rate-limit")
}

/// `exit`: the command's status (`N` or `signal N`).
pub fn exit(status: &str) -> Event {
    Event::new(EventKind::Exit, format!("command exited: {status}")).with("status", status)
}

/// `stopped` with its reason.
pub fn stopped(reason: StopReason, message: String) -> Event {
    Event::new(EventKind::Stopped, message).with("reason", reason)
}

/// The sentence for a stop requested through the lock.
pub fn stop_message(reason: StopReason) -> String {
    match reason {
        StopReason::Replaced => "another logtail took over this file".into(),
        StopReason::StopCommand => "stopped by logtail stop".into(),
        other => format!("stopped ({other})"),
    }
}

/// The sentence for a stop by signal.
pub fn signal_message(sig: i32) -> String {
    let name = match sig {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "a signal",
    };
    format!("stopped by {name}")
}
