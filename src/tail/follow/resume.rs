//! `logtail follow --resume-at DEV:INODE:OFFSET`: whether the opened file is
//! still the one a dead tailer was reading, so the new one continues at
//! OFFSET (the lines from there to EOF are exactly those it never
//! published) instead of sending a backlog again.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use crate::wire::FilePos;

/// Where a resumed tailer starts, or why it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Same (dev, inode), OFFSET within the file and just after a newline.
    At(u64),
    /// Send the normal backlog; the text says why (the `resume` field of
    /// `started`).
    Fallback(String),
}

/// Decides for `file` (identified by `dev`, `inode`, `size` bytes long).
pub fn decide(file: &File, dev: u64, inode: u64, size: u64, at: FilePos) -> io::Result<Resume> {
    if (at.dev, at.inode) != (dev, inode) {
        return Ok(Resume::Fallback(format!(
            "file changed (inode {} on device {} now, was {} on {})",
            inode, dev, at.inode, at.dev
        )));
    }
    if size < at.offset {
        return Ok(Resume::Fallback(format!(
            "file shrank ({size} bytes now, was read up to {})",
            at.offset
        )));
    }
    if at.offset > 0 {
        // Every position written ends a line: anything else means the file
        // was truncated and rewritten meanwhile.
        let mut byte = [0u8; 1];
        let n = file.read_at(&mut byte, at.offset - 1)?;
        if n != 1 || byte[0] != b'\n' {
            return Ok(Resume::Fallback(format!(
                "file rewritten (no line ends at byte {})",
                at.offset
            )));
        }
    }
    Ok(Resume::At(at.offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;

    fn file_with(text: &[u8]) -> (tempfile::NamedTempFile, u64, u64) {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text).expect("write");
        let meta = f.as_file().metadata().expect("stat");
        (f, meta.dev(), meta.ino())
    }

    #[test]
    fn same_file_resumes_after_a_line_end() {
        let (f, dev, inode) = file_with(b"one\ntwo\nthree\n");
        let at = |offset| FilePos { dev, inode, offset };
        for offset in [0, 4, 8, 14] {
            assert_eq!(
                decide(f.as_file(), dev, inode, 14, at(offset)).expect("reads"),
                Resume::At(offset)
            );
        }
        for (offset, why) in [(5, "file rewritten"), (15, "file shrank")] {
            let got = decide(f.as_file(), dev, inode, 14, at(offset)).expect("reads");
            assert!(
                matches!(&got, Resume::Fallback(t) if t.starts_with(why)),
                "{offset}: {got:?}"
            );
        }
    }

    #[test]
    fn another_inode_or_device_falls_back() {
        let (f, dev, inode) = file_with(b"one\n");
        for at in [
            FilePos {
                dev,
                inode: inode + 1,
                offset: 4,
            },
            FilePos {
                dev: dev + 1,
                inode,
                offset: 4,
            },
        ] {
            let got = decide(f.as_file(), dev, inode, 4, at).expect("reads");
            assert!(
                matches!(&got, Resume::Fallback(t) if t.starts_with("file changed")),
                "{got:?}"
            );
        }
    }
}
