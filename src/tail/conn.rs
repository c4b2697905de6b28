//! How a tailer talks to Redis: connections with bounded connect and I/O
//! timeouts, the reconnect backoff, and which server errors are transient
//! (retried after a backoff) rather than final.

use std::time::Duration;

/// Connect timeout; also bounds each reconnect attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Read/write timeout: a dead server cannot hang the tailer longer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// First reconnect delay; doubles up to [`BACKOFF_MAX`].
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest reconnect delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Server errors worth retrying (after a backoff) rather than giving up.
/// The cluster ones (`MOVED`, `ASK`, `CLUSTERDOWN`; `READONLY` from a master
/// that became a replica) drop the connection; the reconnect asks the
/// cluster again where the stream's slot lives (`cluster.rs`).
pub const TRANSIENT: [&str; 9] = [
    "LOADING",
    "BUSY",
    "OOM",
    "TRYAGAIN",
    "MASTERDOWN",
    "READONLY",
    "MOVED",
    "ASK",
    "CLUSTERDOWN",
];

/// The server address of a URL, for messages (never the password).
pub fn server_of(client: &redis::Client) -> String {
    client.get_connection_info().addr().to_string()
}

/// A connection with the timeouts set.
pub fn open(client: &redis::Client) -> redis::RedisResult<redis::Connection> {
    let conn = client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
    conn.set_read_timeout(Some(IO_TIMEOUT))?;
    conn.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(conn)
}
