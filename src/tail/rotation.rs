//! Follows one file by name and (device, inode): reads from the open
//! descriptor and, each time it has been drained, notices a rename rotation,
//! an in-place truncation, a deletion or the file coming back.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// What happened to the followed name, found by [`FollowedFile::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The old file (renamed away, drained) was replaced by a new one, read from 0.
    Rotated {
        /// Inode of the drained file.
        from_inode: u64,
        /// Inode of the file now followed.
        to_inode: u64,
    },
    /// The file shrank below the read position; reading restarts at 0.
    Truncated {
        /// Where reading was.
        at: u64,
        /// The size found.
        size: u64,
    },
    /// The file was deleted; it is awaited.
    Missing,
    /// A file with the name exists again; read from 0.
    Reappeared {
        /// Its inode.
        inode: u64,
    },
}

/// The open file behind a followed name and the read position in it.
#[derive(Debug)]
pub struct FollowedFile {
    path: PathBuf,
    file: Option<File>,
    dev: u64,
    ino: u64,
    pos: u64,
}

impl FollowedFile {
    /// Opens `path`; the caller picks the start offset with [`Self::seek`].
    pub fn open(path: &Path) -> io::Result<(Self, Metadata)> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok((
            FollowedFile {
                path: path.to_owned(),
                dev: meta.dev(),
                ino: meta.ino(),
                file: Some(file),
                pos: 0,
            },
            meta,
        ))
    }

    /// The file being read (None while the name is missing).
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Inode of the open file.
    pub fn inode(&self) -> u64 {
        self.ino
    }

    /// Current read offset.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Moves the read offset (start of the backlog).
    pub fn seek(&mut self, pos: u64) {
        self.pos = pos;
    }

    /// Reads the next bytes at the read offset into `buf`; 0 at EOF or
    /// while the name is missing.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(file) = &self.file else {
            return Ok(0);
        };
        loop {
            match file.read_at(buf, self.pos) {
                Ok(n) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Call once the open file has been read to EOF: finds at most one
    /// change and applies it (opening the new file at offset 0 when there is
    /// one). Call again after draining while it returns `Some`.
    pub fn check(&mut self) -> io::Result<Option<Change>> {
        let Some(file) = &self.file else {
            return Ok(match self.reopen() {
                Ok(inode) => Some(Change::Reappeared { inode }),
                Err(_) => None,
            });
        };
        let open_meta = file.metadata()?;
        if open_meta.len() < self.pos {
            let at = self.pos;
            self.pos = 0;
            return Ok(Some(Change::Truncated {
                at,
                size: open_meta.len(),
            }));
        }
        match std::fs::metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) == (self.dev, self.ino) => Ok(None),
            Ok(_) if open_meta.nlink() > 0 => {
                let from_inode = self.ino;
                match self.reopen() {
                    Ok(to_inode) => Ok(Some(Change::Rotated {
                        from_inode,
                        to_inode,
                    })),
                    // The new file vanished again between stat and open: it
                    // is found on the next check.
                    Err(_) => Ok(None),
                }
            }
            Ok(_) => {
                self.file = None;
                Ok(Some(Change::Missing))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if open_meta.nlink() == 0 {
                    self.file = None;
                    Ok(Some(Change::Missing))
                } else {
                    // Renamed away and no successor yet: keep reading the old
                    // file (its writer may still be writing) until one appears.
                    Ok(None)
                }
            }
            Err(e) => Err(e),
        }
    }

    fn reopen(&mut self) -> io::Result<u64> {
        let (new, _) = FollowedFile::open(&self.path)?;
        *self = new;
        Ok(self.ino)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn drain(f: &mut FollowedFile) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = f.read(&mut buf).expect("read");
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    fn append(path: &Path, data: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open for append");
        f.write_all(data).expect("append");
    }

    #[test]
    fn rename_rotation_drains_the_old_file_then_reads_the_new_from_zero() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.log");
        append(&p, b"one\n");
        let (mut f, _) = FollowedFile::open(&p).expect("open");
        assert_eq!(drain(&mut f), b"one\n");
        append(&p, b"two\n");
        std::fs::rename(&p, dir.path().join("a.log.1")).expect("rename");
        assert_eq!(f.check().expect("check"), None, "renamed, no successor yet");
        assert_eq!(drain(&mut f), b"two\n");
        append(&p, b"three\n");
        assert!(matches!(
            f.check().expect("check"),
            Some(Change::Rotated { .. })
        ));
        assert_eq!(drain(&mut f), b"three\n");
        assert_eq!(f.check().expect("check"), None);
    }

    #[test]
    fn truncation_restarts_at_zero() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.log");
        append(&p, b"0123456789\n");
        let (mut f, _) = FollowedFile::open(&p).expect("open");
        drain(&mut f);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .expect("open")
            .set_len(0)
            .expect("truncate");
        append(&p, b"new\n");
        assert_eq!(
            f.check().expect("check"),
            Some(Change::Truncated { at: 11, size: 4 })
        );
        assert_eq!(drain(&mut f), b"new\n");
    }

    #[test]
    fn deletion_is_missing_and_recreation_reappears() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.log");
        append(&p, b"x\n");
        let (mut f, _) = FollowedFile::open(&p).expect("open");
        drain(&mut f);
        std::fs::remove_file(&p).expect("rm");
        assert_eq!(f.check().expect("check"), Some(Change::Missing));
        assert_eq!(f.check().expect("check"), None);
        assert_eq!(drain(&mut f), b"");
        append(&p, b"back\n");
        assert!(matches!(
            f.check().expect("check"),
            Some(Change::Reappeared { .. })
        ));
        assert_eq!(drain(&mut f), b"back\n");
    }

    #[test]
    fn delete_and_recreate_between_checks_is_missing_then_reappeared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.log");
        append(&p, b"x\n");
        let (mut f, _) = FollowedFile::open(&p).expect("open");
        drain(&mut f);
        std::fs::remove_file(&p).expect("rm");
        append(&p, b"y\n");
        assert_eq!(f.check().expect("check"), Some(Change::Missing));
        assert!(matches!(
            f.check().expect("check"),
            Some(Change::Reappeared { .. })
        ));
        assert_eq!(drain(&mut f), b"y\n");
    }
}
