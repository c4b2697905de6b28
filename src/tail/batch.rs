//! Turns raw lines into the text of `lines` entries: invalid UTF-8 replaced,
//! cut lines marked with [`wire::CUT_MARKER_PREFIX`], lines joined by `\n`
//! into batches of at most `batch_max_bytes`.

use crate::wire::{self, FilePos};

/// The text of one `lines` entry and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The lines joined by `\n`, no trailing newline.
    pub text: String,
    /// How many lines `text` holds.
    pub lines: u32,
    /// How many of them were cut.
    pub cut: u32,
    /// `Some(1|2)` for a command's stdout/stderr.
    pub fd: Option<u8>,
    /// Where the last line ends in the followed file (file tailers only).
    pub pos: Option<FilePos>,
}

/// Accumulates lines into batches bounded in bytes.
#[derive(Debug)]
pub struct Batcher {
    cur: Batch,
    max_bytes: usize,
    /// Emptied buffers of sent batches, reused for the next ones.
    spare: Vec<String>,
}

impl Batcher {
    /// A batcher for `fd` (None for a file) whose batches stay under `max_bytes`
    /// (a single longer line still makes a batch of its own).
    pub fn new(max_bytes: usize, fd: Option<u8>) -> Self {
        Batcher {
            cur: Batch {
                text: String::new(),
                lines: 0,
                cut: 0,
                fd,
                pos: None,
            },
            max_bytes,
            spare: Vec::new(),
        }
    }

    /// Hands back the (emptied) buffer of a sent batch for reuse.
    pub fn recycle(&mut self, mut text: String) {
        text.clear();
        if self.spare.len() < 2 {
            self.spare.push(text);
        }
    }

    /// Adds one line (`cut_bytes` > 0 if it was cut); returns the previous
    /// batch when this line did not fit in it.
    pub fn add(&mut self, raw: &[u8], cut_bytes: u64) -> Option<Batch> {
        let (valid, cut_bytes) = if cut_bytes > 0 {
            trim_incomplete_char(raw, cut_bytes)
        } else {
            (raw, 0)
        };
        let need = valid.len() + 40;
        let full = if self.cur.lines > 0 && self.cur.text.len() + need > self.max_bytes {
            self.take()
        } else {
            None
        };
        if self.cur.lines > 0 {
            self.cur.text.push('\n');
        }
        match std::str::from_utf8(valid) {
            Ok(s) => self.cur.text.push_str(s),
            Err(_) => self.cur.text.push_str(&String::from_utf8_lossy(valid)),
        }
        if cut_bytes > 0 {
            self.cur.text.push_str(wire::CUT_MARKER_PREFIX);
            self.cur.text.push_str(&cut_bytes.to_string());
            self.cur.text.push_str(" bytes]");
            self.cur.cut += 1;
        }
        self.cur.lines += 1;
        full
    }

    /// Records where the line just added ends in the file: the batch's
    /// position is its last line's (None if that line has none).
    pub fn set_pos(&mut self, pos: Option<FilePos>) {
        self.cur.pos = pos;
    }

    /// The batch being built, if it holds any line.
    pub fn take(&mut self) -> Option<Batch> {
        if self.cur.lines == 0 {
            return None;
        }
        let next = match self.spare.pop() {
            Some(s) => s,
            None => String::with_capacity(self.cur.text.len().min(self.max_bytes)),
        };
        let text = std::mem::replace(&mut self.cur.text, next);
        let batch = Batch {
            text,
            lines: self.cur.lines,
            cut: self.cur.cut,
            fd: self.cur.fd,
            pos: self.cur.pos.take(),
        };
        self.cur.lines = 0;
        self.cur.cut = 0;
        Some(batch)
    }

    /// Whether the batch being built has reached its byte bound.
    pub fn is_full(&self) -> bool {
        self.cur.text.len() >= self.max_bytes
    }
}

/// A cut line may end inside a multi-byte character: drop those bytes too
/// (and count them) rather than showing a replacement character.
fn trim_incomplete_char(raw: &[u8], cut: u64) -> (&[u8], u64) {
    match std::str::from_utf8(raw) {
        Err(e) if e.error_len().is_none() => {
            let keep = e.valid_up_to();
            (&raw[..keep], cut + (raw.len() - keep) as u64)
        }
        _ => (raw, cut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_joined_by_newline_without_a_trailing_one() {
        let mut b = Batcher::new(1000, None);
        assert!(b.add(b"a", 0).is_none());
        assert!(b.add(b"", 0).is_none());
        assert!(b.add(b"c", 0).is_none());
        let batch = b.take().expect("batch");
        assert_eq!(batch.text, "a\n\nc");
        assert_eq!((batch.lines, batch.cut), (3, 0));
        assert!(b.take().is_none());
    }

    #[test]
    fn a_batch_carries_its_last_lines_position() {
        let at = |offset| FilePos {
            dev: 1,
            inode: 2,
            offset,
        };
        let mut b = Batcher::new(50, None);
        b.add(b"a", 0);
        b.set_pos(Some(at(2)));
        b.add(b"b", 0);
        b.set_pos(Some(at(4)));
        // Does not fit: the previous batch comes back with its own last position.
        let full = b.add(&[b'x'; 20], 0).expect("previous batch");
        b.set_pos(Some(at(25)));
        assert_eq!((full.lines, full.pos), (2, Some(at(4))));
        assert_eq!(b.take().expect("batch").pos, Some(at(25)));
        b.add(b"partial flushed", 0);
        b.set_pos(None);
        assert_eq!(b.take().expect("batch").pos, None);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let mut b = Batcher::new(1000, None);
        b.add(b"ok \xff\xfe end", 0);
        assert_eq!(b.take().expect("batch").text, "ok \u{fffd}\u{fffd} end");
    }

    #[test]
    fn a_cut_line_carries_the_marker_and_is_counted() {
        let mut b = Batcher::new(1000, Some(2));
        b.add(b"abcd", 6);
        let batch = b.take().expect("batch");
        assert_eq!(
            batch.text,
            format!("abcd{}6 bytes]", wire::CUT_MARKER_PREFIX)
        );
        assert_eq!((batch.lines, batch.cut, batch.fd), (1, 1, Some(2)));
    }

    #[test]
    fn a_cut_inside_a_multibyte_character_drops_the_partial_character() {
        let mut b = Batcher::new(1000, None);
        let euro = "€".as_bytes(); // 3 bytes
        let mut raw = b"ab".to_vec();
        raw.extend_from_slice(&euro[..2]);
        b.add(&raw, 5);
        let text = b.take().expect("batch").text;
        assert_eq!(text, format!("ab{}7 bytes]", wire::CUT_MARKER_PREFIX));
    }

    #[test]
    fn batches_stay_under_the_byte_bound() {
        let mut b = Batcher::new(100, None);
        let mut batches = Vec::new();
        for i in 0..50 {
            if let Some(full) = b.add(format!("line {i:04}").as_bytes(), 0) {
                batches.push(full);
            }
        }
        batches.extend(b.take());
        assert!(batches.len() > 1);
        assert!(batches.iter().all(|x| x.text.len() <= 100));
        let total: u32 = batches.iter().map(|x| x.lines).sum();
        assert_eq!(total, 50);
        let joined: Vec<String> = batches.iter().map(|x| x.text.clone()).collect();
        assert!(joined.join("\n").starts_with("line 0000\nline 0001"));
    }
}
