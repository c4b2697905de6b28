//! Follows one file by name and (device, inode), like `tail -F`: reads from
//! the open descriptor and, each time it has been drained, notices a rename
//! rotation, a symlink retargeted to another file, an in-place truncation, a
//! deletion or the file coming back. Every (re)open is checked on the opened
//! descriptor against the allow-list ([`super::open`]); a name that now
//! resolves outside it (or to a FIFO, a device…) is reported once and not
//! followed, and the name is watched until it is valid again.

use std::fs::{File, Metadata};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::open::{open_checked, OpenError, Refusal};

/// What happened to the followed name, found by [`FollowedFile::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The old file (renamed away or no longer the symlink's target, drained)
    /// was replaced by a new one, read from 0.
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
    /// The name now resolves to something that must not be read; nothing is
    /// read until it resolves to an allowed regular file again.
    Refused(Refusal),
}

/// The open file behind a followed name and the read position in it.
#[derive(Debug)]
pub struct FollowedFile {
    path: PathBuf,
    allowed: Vec<String>,
    file: Option<File>,
    dev: u64,
    ino: u64,
    pos: u64,
    /// (dev, inode) of the last refused target: reported once, not again.
    refused: Option<(u64, u64)>,
}

/// What a reopen of the name found.
enum Reopen {
    Opened(u64),
    Refused(Refusal),
}

impl FollowedFile {
    /// Opens `path` (checked against `allowed`); the caller picks the start
    /// offset with [`Self::seek`].
    pub fn open(path: &Path, allowed: &[String]) -> Result<(Self, Metadata), OpenError> {
        let opened = open_checked(path, allowed)?;
        Ok((
            FollowedFile {
                path: path.to_owned(),
                allowed: allowed.to_vec(),
                dev: opened.meta.dev(),
                ino: opened.meta.ino(),
                file: Some(opened.file),
                pos: 0,
                refused: None,
            },
            opened.meta,
        ))
    }

    /// The file being read (None while the name is missing or refused).
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// A path naming exactly the open file (for inotify), not the name.
    pub fn fd_path(&self) -> Option<PathBuf> {
        self.file
            .as_ref()
            .map(|f| PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd())))
    }

    /// Inode of the open file.
    pub fn inode(&self) -> u64 {
        self.ino
    }

    /// Current read offset.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Device of the open file (with [`Self::inode`], what a
    /// [`crate::wire::FilePos`] names).
    pub fn dev(&self) -> u64 {
        self.dev
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
            return Ok(self.reopen().map(|r| match r {
                Reopen::Opened(inode) => Change::Reappeared { inode },
                Reopen::Refused(r) => Change::Refused(r),
            }));
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
        // What the name resolves to now (symlinks followed, like `tail -F`).
        match std::fs::metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) == (self.dev, self.ino) => Ok(None),
            Ok(_) if open_meta.nlink() > 0 => {
                let from_inode = self.ino;
                Ok(self.reopen().map(|r| match r {
                    Reopen::Opened(to_inode) => Change::Rotated {
                        from_inode,
                        to_inode,
                    },
                    Reopen::Refused(r) => Change::Refused(r),
                }))
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

    /// Opens what the name resolves to now. A refused target drops the open
    /// file (nothing more is read from the name's old file) and is reported
    /// once per target; a missing one (it vanished again between the stat and
    /// the open) keeps the current state: the next check sees it.
    fn reopen(&mut self) -> Option<Reopen> {
        match open_checked(&self.path, &self.allowed) {
            Ok(o) => {
                self.file = Some(o.file);
                self.dev = o.meta.dev();
                self.ino = o.meta.ino();
                self.pos = 0;
                self.refused = None;
                Some(Reopen::Opened(self.ino))
            }
            Err(OpenError::Refused(r, identity)) => {
                self.file = None;
                if self.refused == Some(identity) {
                    None
                } else {
                    self.refused = Some(identity);
                    Some(Reopen::Refused(r))
                }
            }
            Err(OpenError::Io(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn allow(dir: &Path) -> Vec<String> {
        vec![format!(
            "{}/**",
            dir.canonicalize().expect("canonical").display()
        )]
    }

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
        let (mut f, _) = FollowedFile::open(&p, &allow(dir.path())).expect("open");
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
        let (mut f, _) = FollowedFile::open(&p, &allow(dir.path())).expect("open");
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
        let (mut f, _) = FollowedFile::open(&p, &allow(dir.path())).expect("open");
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
        let (mut f, _) = FollowedFile::open(&p, &allow(dir.path())).expect("open");
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

    #[test]
    fn a_retargeted_symlink_switches_and_a_link_out_of_the_allow_list_is_refused_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().canonicalize().expect("canonical");
        let logs = base.join("logs");
        std::fs::create_dir(&logs).expect("logs");
        append(&logs.join("a.log"), b"a\n");
        append(&logs.join("b.log"), b"b\n");
        append(&base.join("secret"), b"s\n");
        let cur = logs.join("cur.log");
        std::os::unix::fs::symlink("a.log", &cur).expect("ln");
        let (mut f, _) = FollowedFile::open(&cur, &allow(&logs)).expect("open");
        assert_eq!(drain(&mut f), b"a\n");
        let retarget = |to: &Path| {
            let tmp = logs.join("cur.tmp");
            std::os::unix::fs::symlink(to, &tmp).expect("ln");
            std::fs::rename(&tmp, &cur).expect("rename");
        };
        retarget(Path::new("b.log"));
        assert!(matches!(
            f.check().expect("check"),
            Some(Change::Rotated { .. })
        ));
        assert_eq!(drain(&mut f), b"b\n");
        retarget(&base.join("secret"));
        assert!(matches!(
            f.check().expect("check"),
            Some(Change::Refused(Refusal::NotAllowed { .. }))
        ));
        assert_eq!(
            drain(&mut f),
            b"",
            "nothing is read from the refused target"
        );
        assert_eq!(f.check().expect("check"), None, "reported once");
        retarget(Path::new("a.log"));
        assert!(matches!(
            f.check().expect("check"),
            Some(Change::Reappeared { .. })
        ));
        assert_eq!(drain(&mut f), b"a\n");
    }
}
