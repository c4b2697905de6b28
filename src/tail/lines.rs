//! Splits a byte stream into lines: partial lines are held until their
//! newline, `\r\n` loses its `\r`, and a line longer than `max_line_bytes`
//! keeps its first bytes while the rest is counted (never buffered).

/// Incremental line splitter over the bytes of one file or pipe.
#[derive(Debug)]
pub struct Splitter {
    pending: Vec<u8>,
    max: usize,
    /// Bytes of the current line that did not fit in `max`.
    cut: u64,
    /// The last byte that was cut (to undo a cut that was only the `\r`).
    last_cut: u8,
}

impl Splitter {
    /// A splitter that keeps at most `max_line_bytes` bytes of a line.
    pub fn new(max_line_bytes: usize) -> Self {
        Splitter {
            pending: Vec::new(),
            max: max_line_bytes,
            cut: 0,
            last_cut: 0,
        }
    }

    /// Feeds `chunk`; calls `emit(line, cut_bytes)` for every complete line,
    /// where `line` has no `\n` nor trailing `\r` and `cut_bytes` is how many
    /// bytes past `max_line_bytes` were dropped from it.
    pub fn push(&mut self, chunk: &[u8], emit: &mut impl FnMut(&[u8], u64)) {
        self.push_ends(chunk, &mut |line, cut, _| emit(line, cut));
    }

    /// [`Self::push`], also telling each line's end: the index in `chunk`
    /// just after its `\n` (a file tailer's [`crate::wire::FilePos`]).
    pub fn push_ends(&mut self, chunk: &[u8], emit: &mut impl FnMut(&[u8], u64, usize)) {
        let mut at = 0;
        while let Some(i) = memchr::memchr(b'\n', &chunk[at..]) {
            let part = &chunk[at..at + i];
            at += i + 1;
            if self.pending.is_empty() && self.cut == 0 && part.len() <= self.max + 1 {
                let line = strip_cr(part);
                if line.len() <= self.max {
                    emit(line, 0, at);
                    continue;
                }
            }
            self.append(part);
            self.emit_pending(&mut |line, cut| emit(line, cut, at));
        }
        self.append(&chunk[at..]);
    }

    /// Emits the held partial line, if any, as a line of its own (used when
    /// the file is gone or rotated away and the newline can never come).
    pub fn flush_partial(&mut self, emit: &mut impl FnMut(&[u8], u64)) {
        if !self.pending.is_empty() || self.cut > 0 {
            self.emit_pending(emit);
        }
    }

    /// Forgets the held partial line; returns how many bytes it had.
    #[cfg(test)]
    pub fn clear(&mut self) -> u64 {
        let n = self.pending.len() as u64 + self.cut;
        self.pending.clear();
        self.cut = 0;
        n
    }

    /// Whether a partial line is being held.
    #[cfg(test)]
    pub fn has_partial(&self) -> bool {
        !self.pending.is_empty() || self.cut > 0
    }

    fn append(&mut self, part: &[u8]) {
        let room = self.max.saturating_sub(self.pending.len());
        let take = room.min(part.len());
        self.pending.extend_from_slice(&part[..take]);
        if take < part.len() {
            self.cut += (part.len() - take) as u64;
            self.last_cut = part[part.len() - 1];
        }
    }

    fn emit_pending(&mut self, emit: &mut impl FnMut(&[u8], u64)) {
        let mut cut = self.cut;
        if cut > 0 && self.last_cut == b'\r' {
            cut -= 1;
        }
        let line = if cut == 0 && self.cut == 0 {
            strip_cr(&self.pending)
        } else {
            &self.pending[..]
        };
        emit(line, cut);
        self.pending.clear();
        self.cut = 0;
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(max: usize, chunks: &[&[u8]]) -> (Vec<(String, u64)>, Splitter) {
        let mut s = Splitter::new(max);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut |l, cut| {
                out.push((String::from_utf8_lossy(l).into_owned(), cut))
            });
        }
        (out, s)
    }

    #[test]
    fn complete_lines_are_emitted_and_a_partial_is_held() {
        let (out, s) = split(100, &[b"a\nbb\ncc"]);
        assert_eq!(out, vec![("a".into(), 0), ("bb".into(), 0)]);
        assert!(s.has_partial());
    }

    #[test]
    fn a_line_written_in_two_parts_is_one_line() {
        let (out, s) = split(100, &[b"hel", b"lo\n"]);
        assert_eq!(out, vec![("hello".into(), 0)]);
        assert!(!s.has_partial());
    }

    #[test]
    fn crlf_loses_its_cr_even_when_split_across_reads() {
        let (out, _) = split(100, &[b"a\r\nb\r", b"\nc\n"]);
        assert_eq!(out, vec![("a".into(), 0), ("b".into(), 0), ("c".into(), 0)]);
    }

    #[test]
    fn empty_lines_are_lines() {
        let (out, _) = split(100, &[b"\n\nx\n"]);
        assert_eq!(out, vec![("".into(), 0), ("".into(), 0), ("x".into(), 0)]);
    }

    #[test]
    fn a_long_line_is_cut_and_the_rest_counted_across_reads() {
        let (out, _) = split(4, &[b"abcdefg", b"hij\nok\n"]);
        assert_eq!(out, vec![("abcd".into(), 6), ("ok".into(), 0)]);
        let (out, _) = split(4, &[b"abcdefghij\n"]);
        assert_eq!(out, vec![("abcd".into(), 6)]);
    }

    #[test]
    fn a_line_of_exactly_max_bytes_with_crlf_is_not_cut() {
        let (out, _) = split(4, &[b"abcd\r\n"]);
        assert_eq!(out, vec![("abcd".into(), 0)]);
        let (out, _) = split(4, &[b"ab", b"cd\r\n"]);
        assert_eq!(out, vec![("abcd".into(), 0)]);
    }

    #[test]
    fn each_line_end_is_the_index_after_its_newline() {
        let mut s = Splitter::new(4);
        let mut ends = Vec::new();
        s.push_ends(b"ab\r\nlonger line\n\npart", &mut |l, c, end| {
            ends.push((l.to_vec(), c, end))
        });
        assert_eq!(
            ends,
            vec![
                (b"ab".to_vec(), 0, 4),
                (b"long".to_vec(), 7, 16),
                (b"".to_vec(), 0, 17)
            ]
        );
        assert!(s.has_partial());
    }

    #[test]
    fn the_partial_is_flushed_only_on_request() {
        let (out, mut s) = split(100, &[b"tail"]);
        assert!(out.is_empty());
        let mut got = Vec::new();
        s.flush_partial(&mut |l, c| got.push((l.to_vec(), c)));
        assert_eq!(got, vec![(b"tail".to_vec(), 0)]);
        assert!(!s.has_partial());
    }

    #[test]
    fn clear_forgets_the_partial() {
        let (_, mut s) = split(100, &[b"abc"]);
        assert_eq!(s.clear(), 3);
        assert!(!s.has_partial());
    }
}
