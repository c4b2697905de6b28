//! Finds where the last N complete lines of a file start by reading
//! backwards from the end, so a 10 GiB file costs what a 10 KiB one does.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

const BLOCK: usize = 64 * 1024;

/// The offset from which reading yields the last `n` complete lines of the
/// first `size` bytes of `file` (a trailing partial line is not counted; it
/// is read too and held until its newline arrives).
#[cfg(test)]
pub fn start_of_last_lines(file: &File, size: u64, n: u64) -> io::Result<u64> {
    last_lines(file, size, n).map(|(start, _)| start)
}

/// The offset from which reading yields the last `n` complete lines, with
/// the number of complete lines from that
/// offset to `size` (`n`, or fewer when the file has fewer): the `backlog`
/// of the `started` event, from which logview computes which lines a viewer
/// asking for fewer skips.
pub fn last_lines(file: &File, size: u64, n: u64) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; BLOCK];
    let mut end = size;
    // Newlines still to pass: the one ending the last complete line does not
    // start a line, so skip it first (`skip_first`).
    let mut skip_first = true;
    let mut remaining = n;
    while end > 0 {
        let len = (end as usize).min(BLOCK);
        let start = end - len as u64;
        let block = &mut buf[..len];
        if let Err(e) = file.read_exact_at(block, start) {
            // Truncated while we looked: the whole (new) content is the backlog.
            // Its lines are not counted: logview then shows them all.
            return if e.kind() == io::ErrorKind::UnexpectedEof {
                Ok((0, 0))
            } else {
                Err(e)
            };
        }
        let mut upto = len;
        while let Some(i) = memchr::memrchr(b'\n', &block[..upto]) {
            if skip_first {
                skip_first = false;
                if n == 0 {
                    return Ok((start + i as u64 + 1, 0));
                }
            } else {
                remaining -= 1;
                if remaining == 0 {
                    return Ok((start + i as u64 + 1, n));
                }
            }
            upto = i;
        }
        end = start;
    }
    // No newline at all: either nothing complete yet (n == 0 means "from the
    // end", but the partial must still be held, so start at 0), or fewer than
    // n lines: everything (its newlines: the last one plus those passed).
    let complete = if skip_first { 0 } else { 1 + (n - remaining) };
    Ok((0, complete))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn start(content: &[u8], n: u64) -> usize {
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(content).expect("write");
        start_of_last_lines(&f, content.len() as u64, n).expect("scan") as usize
    }

    #[test]
    fn the_last_n_complete_lines_are_found() {
        let c = b"a\nb\nc\nd\n";
        assert_eq!(&c[start(c, 2)..], b"c\nd\n");
        assert_eq!(&c[start(c, 4)..], b"a\nb\nc\nd\n");
        assert_eq!(&c[start(c, 10)..], b"a\nb\nc\nd\n");
        assert_eq!(&c[start(c, 0)..], b"");
    }

    fn count(content: &[u8], n: u64) -> u64 {
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(content).expect("write");
        last_lines(&f, content.len() as u64, n).expect("scan").1
    }

    #[test]
    fn the_backlog_count_is_the_number_of_complete_lines_sent() {
        let c = b"a\nb\nc\nd\n";
        for n in 0..=4 {
            assert_eq!(count(c, n), n);
        }
        assert_eq!(count(c, 10), 4, "fewer lines than asked for");
        assert_eq!(count(b"a\nb\npart", 5), 2, "a partial line is not counted");
        assert_eq!(count(b"a\nb\npart", 1), 1);
        assert_eq!(count(b"no newline", 3), 0);
        assert_eq!(count(b"", 3), 0);
        assert_eq!(count(b"\n", 3), 1);
        let mut big = Vec::new();
        for i in 0..50_000 {
            big.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        assert_eq!(count(&big, 20_000), 20_000);
        assert_eq!(count(&big, 60_000), 50_000);
    }

    #[test]
    fn a_trailing_partial_line_is_not_counted_but_kept() {
        let c = b"a\nb\nc\npart";
        assert_eq!(&c[start(c, 1)..], b"c\npart");
        assert_eq!(&c[start(c, 0)..], b"part");
    }

    #[test]
    fn lines_spanning_blocks_are_found() {
        let mut c = Vec::new();
        for i in 0..50_000 {
            c.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        assert_eq!(&c[start(&c, 3)..], b"line 49997\nline 49998\nline 49999\n");
        let s = start(&c, 20_000);
        assert!(c[s..].starts_with(b"line 30000\n"));
    }

    #[test]
    fn a_file_truncated_under_the_scan_starts_at_zero() {
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(b"a\nb\n").expect("write");
        // Claims 1 MiB: the reads run past the end, as after a truncation.
        assert_eq!(start_of_last_lines(&f, 1 << 20, 1).expect("scan"), 0);
    }

    #[test]
    fn empty_and_newline_free_files_start_at_zero() {
        assert_eq!(start(b"", 5), 0);
        assert_eq!(start(b"no newline", 5), 0);
        assert_eq!(start(b"\n", 0), 1);
        assert_eq!(start(b"\n", 1), 0);
    }
}
