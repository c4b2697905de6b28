//! Who follows a stream: the value of the owner key (`host pid start_unix
//! version`, [`crate::wire::OwnerValue`]) and the host name put into `started` events.

use std::time::{SystemTime, UNIX_EPOCH};

/// This process as the owner of a stream.
#[derive(Debug, Clone)]
pub struct Owner {
    /// The host name.
    pub host: String,
    /// This process id.
    pub pid: u32,
    /// Start time, unix seconds.
    pub start_unix: u64,
}

impl Owner {
    /// This process, now.
    pub fn current() -> Self {
        Owner {
            host: hostname(),
            pid: std::process::id(),
            start_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }

    /// The owner key's value (`live`: the whole backlog is in the stream).
    pub fn value(&self, live: bool) -> String {
        crate::wire::OwnerValue {
            host: self.host.clone(),
            pid: self.pid,
            start_unix: self.start_unix,
            version: Some(crate::wire::VERSION.to_owned()),
            live,
        }
        .to_value()
    }
}

/// The host name (`unknown` if the system will not say).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is valid for writes of its length; gethostname NUL-terminates
    // when it fits, and we stop at the first NUL or the end anyway.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_value_is_host_pid_start_version() {
        let o = Owner::current();
        let value = o.value(false);
        let parts: Vec<&str> = value.split(' ').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[1], std::process::id().to_string());
        assert_eq!(parts[3], crate::wire::VERSION);
        assert!(!o.host.is_empty());
    }
}
