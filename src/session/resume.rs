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

/// `stopped_by_us`: logview itself just stopped the tailer (it ran another
/// logtail version), so its `stopped` (reason `stop-command` or `replaced`)
/// is not a clean end of the session.
pub fn step(entry: &Entry, stopped_by_us: bool) -> Step {
    match entry {
        Entry::Lines { pos: Some(p), .. } => Step::Found(*p),
        // Commands' or an older logtail's lines, or a partial line flushed
        // when its file went away.
        Entry::Lines { pos: None, .. } => Step::Fresh,
        Entry::Event(ev) => match ev.kind {
            // A resumed session continues the previous one's lines.
            EventKind::Started if ev.get(field::RESUMED) == Some("1") => Step::Older,
            EventKind::Dropped => Step::Older,
            EventKind::Stopped
                if stopped_by_us
                    && matches!(ev.get("reason"), Some(r) if r == StopReason::StopCommand.as_str()
                        || r == StopReason::Replaced.as_str()) =>
            {
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
    fn scan(newest_first: &[Entry], stopped_by_us: bool) -> Option<FilePos> {
        for e in newest_first {
            match step(e, stopped_by_us) {
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
        assert_eq!(scan(&stream, false), Some(at(30)));
        let dropped = Entry::Event(ev(EventKind::Dropped).with("count", 3));
        assert_eq!(scan(&[dropped, lines(Some(at(9)))], false), Some(at(9)));
        // A resumed session with no lines yet: the one before it.
        let resumed = Entry::Event(ev(EventKind::Started).with(field::RESUMED, 1));
        assert_eq!(scan(&[resumed, lines(Some(at(7)))], false), Some(at(7)));
    }

    #[test]
    fn a_tailer_we_stopped_is_resumed_past_its_stopped_event() {
        for reason in [StopReason::StopCommand, StopReason::Replaced] {
            let stopped = Entry::Event(ev(EventKind::Stopped).with("reason", reason));
            let stream = [stopped, lines(Some(at(5)))];
            assert_eq!(scan(&stream, true), Some(at(5)), "{reason}");
            assert_eq!(scan(&stream, false), None, "{reason}: a clean end");
        }
        let idle = Entry::Event(ev(EventKind::Stopped).with("reason", StopReason::Idle));
        assert_eq!(scan(&[idle, lines(Some(at(5)))], true), None);
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
            assert_eq!(scan(&stream, true), None, "{kind}");
        }
        let not_resumed = Entry::Event(ev(EventKind::Started).with(field::RESUMED, 0));
        assert_eq!(scan(&[not_resumed, lines(Some(at(5)))], false), None);
        assert_eq!(scan(&[lines(None), lines(Some(at(5)))], false), None);
        assert_eq!(scan(&[], false), None, "an empty stream");
    }
}
