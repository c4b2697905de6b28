//! A position in a followed file: `DEV:INODE:OFFSET` (decimal), the byte
//! offset just after the last complete line of a `lines` entry in the file
//! identified by (device, inode). Written as the `pos` field of a file
//! tailer's `lines` entries and passed back as `logtail follow --resume-at`
//! so a replacement tailer continues where a dead one stopped.

use std::fmt;
use std::str::FromStr;

/// `DEV:INODE:OFFSET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilePos {
    /// `st_dev` of the file.
    pub dev: u64,
    /// `st_ino` of the file.
    pub inode: u64,
    /// Byte offset just after a complete line.
    pub offset: u64,
}

/// Why a `DEV:INODE:OFFSET` text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("file position {0:?} is not DEV:INODE:OFFSET (three decimal numbers separated by ':')")]
pub struct BadFilePos(pub String);

impl fmt::Display for FilePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.dev, self.inode, self.offset)
    }
}

impl FromStr for FilePos {
    type Err = BadFilePos;
    /// Strictly `digits:digits:digits` (no sign, no space, each fits a u64).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadFilePos(s.to_owned());
        let mut parts = s.split(':');
        let mut next = || -> Result<u64, BadFilePos> {
            let p = parts.next().ok_or_else(bad)?;
            if p.is_empty() || p.len() > 20 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse::<u64>().map_err(|_| bad())
        };
        let (dev, inode, offset) = (next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(FilePos { dev, inode, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_neighbours() {
        let p = FilePos {
            dev: 2049,
            inode: 1_234_567,
            offset: u64::MAX,
        };
        assert_eq!(p.to_string().parse::<FilePos>(), Ok(p));
        assert_eq!("0:0:0".parse::<FilePos>().map(|p| p.offset), Ok(0));
        for bad in [
            "",
            "1:2",
            "1:2:3:4",
            "1::3",
            "-1:2:3",
            "+1:2:3",
            " 1:2:3",
            "1:2:3 ",
            "a:2:3",
            "1:2:18446744073709551616",
            "1;2;3",
            "1:2:3\n",
        ] {
            assert!(bad.parse::<FilePos>().is_err(), "{bad:?}");
        }
    }
}
