//! Which paths `logtail` may follow: the path shape, the `allowed_paths`
//! globs and segment rule shared with logview (`crate::path_glob`), symlink
//! resolution and the syntax of a stream key.

use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use crate::path_glob::path_is_allowed;

/// Checks one `allowed_paths` glob: absolute, no empty/`.`/`..` segments,
/// `**` only as a whole segment.
pub fn validate_glob(glob: &str) -> std::result::Result<(), String> {
    let rest = glob
        .strip_prefix('/')
        .ok_or_else(|| "must be absolute (start with /)".to_owned())?;
    for seg in rest.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(format!("segment {seg:?} is not allowed"));
        }
        if seg.contains("**") && seg != "**" {
            return Err("** must be a whole path segment".into());
        }
        if seg.chars().any(|c| c.is_control() || c == '?' || c == '[') {
            return Err(format!("segment {seg:?} holds an unsupported character"));
        }
    }
    Ok(())
}

/// The shape every path must have before it is matched: absolute, no empty,
/// `.` or `..` segments, no control characters. (The stricter segment rule of
/// the eauth ACL applies below the allow-list's literal root: see
/// [`crate::path_glob`].)
pub fn check_path_shape(path: &str) -> std::result::Result<(), String> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| "must be an absolute path".to_owned())?;
    for seg in rest.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(format!("segment {seg:?} is not allowed"));
        }
        if seg.chars().any(char::is_control) {
            return Err(format!("segment {seg:?} holds a control character"));
        }
    }
    Ok(())
}

/// A path to follow, as given and with symlinks resolved.
#[derive(Debug, Clone)]
pub struct Target {
    /// The path as given on the command line.
    pub given: PathBuf,
    /// The path with symlinks resolved: what is followed and locked.
    pub canonical: PathBuf,
}

/// Checks `path` for `follow`: syntax, allow-list (as given and resolved), existence.
pub fn resolve_follow(path: &Path, allowed: &[String]) -> Result<Target> {
    let given = check_given(path, allowed)?;
    let canonical = std::fs::canonicalize(path).map_err(|source| Error::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    check_allowed(path, &canonical, allowed)?;
    Ok(Target {
        given: given.into(),
        canonical,
    })
}

/// Checks `path` for `stop`: the path as given must be allowed. Tailers lock
/// the name as given, and `stop` reads nothing, so where the name resolves to
/// now does not matter: a name swapped for a link out of the allow-list (or a
/// missing file) can still be stopped.
pub fn resolve_stop(path: &Path, allowed: &[String]) -> Result<Target> {
    let given = check_given(path, allowed)?;
    Ok(Target {
        given: given.into(),
        canonical: path.to_owned(),
    })
}

fn check_given<'a>(path: &'a Path, allowed: &[String]) -> Result<&'a str> {
    let text = path.to_str().ok_or_else(|| Error::Usage {
        arg: "PATH",
        reason: "is not valid UTF-8".into(),
    })?;
    check_path_shape(text).map_err(|reason| Error::Usage {
        arg: "PATH",
        reason: format!("{text:?} {reason}"),
    })?;
    check_allowed(path, path, allowed)?;
    Ok(text)
}

fn check_allowed(given: &Path, canonical: &Path, allowed: &[String]) -> Result<()> {
    if canonical
        .to_str()
        .is_some_and(|c| path_is_allowed(allowed, c))
    {
        Ok(())
    } else {
        Err(Error::NotAllowed {
            path: given.to_owned(),
            canonical: canonical.to_owned(),
            allowed: allowed.to_vec(),
        })
    }
}

/// Checks a stream key: 1..=1024 printable bytes, no spaces.
pub fn check_stream_syntax(stream: &str) -> Result<()> {
    if stream.is_empty()
        || stream.len() > 1024
        || stream.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::Usage {
            arg: "--stream",
            reason: format!(
                "{stream:?} must be 1..=1024 characters without spaces or control characters"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_validated() {
        assert!(validate_glob("/var/log/**").is_ok());
        assert!(validate_glob("var/log").is_err());
        assert!(validate_glob("/var/../etc").is_err());
        assert!(validate_glob("/var//log").is_err());
        assert!(validate_glob("/var/a**").is_err());
    }

    #[test]
    fn paths_must_be_absolute_and_plain() {
        assert!(check_path_shape("/var/log/app-1.log").is_ok());
        assert!(check_path_shape("/srv/.stack/logs/app.log").is_ok());
        assert!(check_path_shape("var/log").is_err());
        assert!(check_path_shape("/var/../etc/shadow").is_err());
        assert!(check_path_shape("/var/log/").is_err());
        assert!(check_path_shape("/var/log/a\nb").is_err());
    }

    #[test]
    fn the_segment_rule_applies_below_the_allowed_root() {
        let allowed = vec!["/tmp/.stack/logs/**".to_owned(), "/var/log/**".to_owned()];
        let ok = |p: &str| check_allowed(Path::new(p), Path::new(p), &allowed).is_ok();
        assert!(ok("/tmp/.stack/logs/app.log"));
        assert!(!ok("/var/log/.hidden"));
        assert!(!ok("/var/log/a b"));
        assert!(!ok("/var/log/x;rm"));
        assert!(!ok("/etc/shadow"));
    }
}
