//! The value of a stream's `:owner` key, written by the tailer that follows
//! the stream and read by logview to decide whether a new viewer can share
//! that tailer: `host pid start_unix version`, plus ` live` once the tailer's
//! whole backlog is in the stream (until then a sharing viewer's lines are
//! counted from the `started` event's `backlog`, not from the stream's end).
//!
//! The key is a heartbeat: the tailer sets it with `EX` [`OWNER_TTL_SECS`]
//! before its `started` event and refreshes it every [`OWNER_REFRESH_SECS`],
//! so a tailer that died without cleaning up (`kill -9`, a crashed minion)
//! stops looking healthy within [`OWNER_TTL_SECS`].

/// Seconds the owner key lives without a refresh.
pub const OWNER_TTL_SECS: u64 = 10;

/// Seconds between the tailer's refreshes of its owner key (a third of the
/// TTL: two refreshes may be lost to a slow Redis before the key lapses).
pub const OWNER_REFRESH_SECS: u64 = 3;
const _: () = assert!(OWNER_REFRESH_SECS * 3 <= OWNER_TTL_SECS);

/// The logtail version this build writes and logview expects (a tailer of
/// another version, e.g. still running after a Salt upgrade, is replaced).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A parsed owner key value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerValue {
    /// The host the tailer runs on.
    pub host: String,
    /// Its process id.
    pub pid: u32,
    /// Its start time, unix seconds.
    pub start_unix: u64,
    /// Its logtail version (`None` for the old three-field value).
    pub version: Option<String>,
    /// Whether its whole backlog is in the stream (it follows live lines now).
    pub live: bool,
}

impl OwnerValue {
    /// The key's value: `host pid start_unix version`.
    pub fn to_value(&self) -> String {
        let version = self.version.as_deref().unwrap_or(VERSION);
        let live = if self.live { " live" } else { "" };
        format!(
            "{} {} {} {version}{live}",
            self.host, self.pid, self.start_unix
        )
    }

    /// Reads a value; `None` when it is not of that form.
    pub fn parse(value: &str) -> Option<OwnerValue> {
        let mut parts = value.split(' ');
        let host = parts.next().filter(|h| !h.is_empty())?.to_owned();
        let pid = parts.next()?.parse().ok()?;
        let start_unix = parts.next()?.parse().ok()?;
        let version = parts.next().map(str::to_owned);
        let live = match parts.next() {
            None => false,
            Some("live") => true,
            Some(_) => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(OwnerValue {
            host,
            pid,
            start_unix,
            version,
            live,
        })
    }

    /// Whether the tailer runs this build's logtail version.
    pub fn is_current_version(&self) -> bool {
        self.version.as_deref() == Some(VERSION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_values_round_trip_and_old_ones_are_not_current() {
        let v = OwnerValue {
            host: "web-01".into(),
            pid: 42,
            start_unix: 1_700_000_000,
            version: Some(VERSION.into()),
            live: false,
        };
        let text = v.to_value();
        assert_eq!(text, format!("web-01 42 1700000000 {VERSION}"));
        assert_eq!(OwnerValue::parse(&text), Some(v.clone()));
        let live = OwnerValue {
            live: true,
            ..v.clone()
        };
        assert_eq!(live.to_value(), format!("{text} live"));
        assert_eq!(OwnerValue::parse(&live.to_value()), Some(live));
        assert!(v.is_current_version());
        let old = OwnerValue::parse("web-01 42 1700000000").expect("old form parses");
        assert!(!old.is_current_version(), "no version: replaced");
        let other = OwnerValue::parse("web-01 42 1700000000 0.0.0-other").expect("parses");
        assert!(!other.is_current_version());
        for bad in [
            "",
            "web-01",
            "web-01 x 1",
            "web-01 1 x",
            "a 1 2 v extra",
            "a 1 2 v live x",
        ] {
            assert_eq!(OwnerValue::parse(bad), None, "{bad:?}");
        }
    }
}
