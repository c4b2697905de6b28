//! Where a replacement tailer continues (docs/sharing.md, *Replacing a
//! stale tailer*): the `pos` of the newest `lines` entry of the dead (or
//! stopped older-version) tailer, read newest first. Pure: the stream is
//! read by `StreamControl::resume_position`, which feeds it here.

use crate::wire::{field, Entry, EventKind, FilePos, StopReason};

/// What one entry (newest first) says about resuming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Continue here.
    Found(FilePos),
    /// Do not resume (send the backlog): the file changed, the last session
    /// ended cleanly, or its lines carry no position.
    Fresh,
    /// Look at the next older entry.
    Older,
}

/// A `stopped` with reason `replaced` is not a clean end of the session:
/// logview itself just stopped that tailer (`logtail stop --replacing`: it
/// ran another logtail version) to start its successor; any other reason is.
pub fn step(entry: &Entry) -> Step {
    match entry {
        Entry::Lines { pos: Some(p), .. } => Step::Found(*p),
        // Commands' or an older logtail's lines, or a partial line flushed
        // when its file went away.
        Entry::Lines { pos: None, .. } => Step::Fresh,
        Entry::Event(ev) => match ev.kind {
            // A resumed session continues the previous one's lines.
            EventKind::Started if ev.get(field::RESUMED) == Some("1") => Step::Older,
            EventKind::Dropped => Step::Older,
            EventKind::Stopped if ev.get("reason") == Some(StopReason::Replaced.as_str()) => {
                Step::Older
            }
            _ => Step::Fresh,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Event;

    fn at(offset: u64) -> FilePos {
        FilePos {
            dev: 1,
            inode: 2,
            offset,
        }
    }

    fn lines(pos: Option<FilePos>) -> Entry {
        Entry::Lines {
            lines: vec!["x".into()],
            fd: None,
            cut: 0,
            pos,
        }
    }

    fn ev(kind: EventKind) -> Event {
        Event::new(kind, "")
    }

    /// The position a scan of `newest_first` finds.
    fn scan(newest_first: &[Entry]) -> Option<FilePos> {
        for e in newest_first {
            match step(e) {
                Step::Found(p) => return Some(p),
                Step::Fresh => return None,
                Step::Older => {}
            }
        }
        None
    }

    #[test]
    fn a_killed_tailer_is_resumed_at_its_last_lines_entry() {
        let stream = [lines(Some(at(30))), lines(Some(at(20)))];
        assert_eq!(scan(&stream), Some(at(30)));
        let dropped = Entry::Event(ev(EventKind::Dropped).with("count", 3));
        assert_eq!(scan(&[dropped, lines(Some(at(9)))]), Some(at(9)));
        // A resumed session with no lines yet: the one before it.
        let resumed = Entry::Event(ev(EventKind::Started).with(field::RESUMED, 1));
        assert_eq!(scan(&[resumed, lines(Some(at(7)))]), Some(at(7)));
    }

    #[test]
    fn a_tailer_stopped_for_its_successor_is_resumed_past_its_stopped_event() {
        let replaced = Entry::Event(ev(EventKind::Stopped).with("reason", StopReason::Replaced));
        assert_eq!(scan(&[replaced, lines(Some(at(5)))]), Some(at(5)));
        for reason in [
            StopReason::StopCommand,
            StopReason::Idle,
            StopReason::MaxDuration,
            StopReason::Signal,
            StopReason::Error,
        ] {
            let stopped = Entry::Event(ev(EventKind::Stopped).with("reason", reason));
            let stream = [stopped, lines(Some(at(5)))];
            assert_eq!(scan(&stream), None, "{reason}: a clean end");
        }
    }

    #[test]
    fn a_changed_file_or_unpositioned_lines_start_fresh() {
        for kind in [
            EventKind::Started,
            EventKind::Rotated,
            EventKind::Truncated,
            EventKind::Missing,
            EventKind::Reappeared,
            EventKind::Exit,
        ] {
            let stream = [Entry::Event(ev(kind)), lines(Some(at(5)))];
            assert_eq!(scan(&stream), None, "{kind}");
        }
        let not_resumed = Entry::Event(ev(EventKind::Started).with(field::RESUMED, 0));
        assert_eq!(scan(&[not_resumed, lines(Some(at(5)))]), None);
        assert_eq!(scan(&[lines(None), lines(Some(at(5)))]), None);
        assert_eq!(scan(&[]), None, "an empty stream");
    }
}
