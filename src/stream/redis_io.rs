//! The Redis commands the data plane sends as the `logview` ACL user (XREAD,
//! XRANGE, XREVRANGE, SET on the lease) and the decoding of their replies.
//! Nothing else in the crate talks to Redis for streams.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{RedisError, Value};

use crate::redis_conn::{RedisConn, StreamStore};

use crate::wire::{Entry, WireError};

use crate::wire::EntryId;

/// One decoded stream entry (or why it could not be decoded).
pub type RawEntry = (EntryId, Result<Entry, WireError>);

/// A Redis failure, or a reply of an unexpected shape.
#[derive(Debug, thiserror::Error)]
pub enum RedisIoError {
    /// Connection, authentication, ACL (NOPERM) or timeout error.
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
    /// The server answered something the stream commands never return.
    #[error("unexpected reply from redis to {0}")]
    Shape(&'static str),
}

impl RedisIoError {
    /// A short label for metrics (`io`, `auth`, `noperm`, `reply`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            RedisIoError::Shape(_) => "reply",
            RedisIoError::Redis(e) if e.is_timeout() => "timeout",
            RedisIoError::Redis(e) if e.is_io_error() || e.is_connection_dropped() => "io",
            RedisIoError::Redis(e) if e.code() == Some("NOPERM") => "noperm",
            RedisIoError::Redis(e) if e.kind() == redis::ErrorKind::AuthenticationFailed => "auth",
            RedisIoError::Redis(_) => "server",
        }
    }
}

/// Whether `e` says the connection broke (reset, broken pipe, closed) rather
/// than that Redis refused or answered: the command never ran, or ran and
/// can run again if it is idempotent.
pub fn connection_broke(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()
}

/// Runs an idempotent command, and once more when the connection it used
/// broke (a `ConnectionManager` reconnects for the second try): after a
/// Redis restart or `ACL LOAD` the first command on an old connection fails
/// although Redis answers.
pub async fn idempotent<T, F, Fut>(what: &'static str, mut call: F) -> Result<T, RedisError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RedisError>>,
{
    match call().await {
        Err(e) if connection_broke(&e) => {
            tracing::info!(command = what, error = %e, "redis connection broke; retrying once on a new one");
            call().await
        }
        other => other,
    }
}

/// Response timeout of the shared (non-blocking) connection.
const SHARED_RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The shared connection for short commands (XRANGE, XREVRANGE, SET): it
/// reconnects by itself (follows the cluster) and never carries a blocking read.
pub fn shared_connection(store: &StreamStore) -> Result<RedisConn, RedisIoError> {
    Ok(store.connection(SHARED_RESPONSE_TIMEOUT)?)
}

/// A dedicated connection for the blocking reader of `key`: its response
/// timeout is above the `BLOCK` time (the crate's 500 ms default would cut
/// every read), nothing else is ever sent on it (a blocked XREAD stalls the
/// connection), and in a cluster it goes to the master of `key`'s slot.
pub async fn blocking_connection(
    store: &StreamStore,
    key: &str,
    block: Duration,
) -> Result<MultiplexedConnection, RedisIoError> {
    Ok(store.blocking_connection_for_key(key, block).await?)
}

/// `XREAD COUNT count BLOCK block STREAMS key after`: entries strictly after `after`.
pub async fn xread_block(
    conn: &mut MultiplexedConnection,
    key: &str,
    after: EntryId,
    block: Duration,
    count: usize,
) -> Result<Vec<RawEntry>, RedisIoError> {
    let reply: Value = redis::cmd("XREAD")
        .arg("COUNT")
        .arg(count)
        .arg("BLOCK")
        .arg(block.as_millis() as u64)
        .arg("STREAMS")
        .arg(key)
        .arg(after.to_string())
        .query_async(conn)
        .await?;
    parse_xread(reply)
}

/// `XRANGE key start end COUNT count` (both ends inclusive).
pub async fn xrange(
    conn: &mut RedisConn,
    key: &str,
    start: EntryId,
    end: EntryId,
    count: usize,
) -> Result<Vec<RawEntry>, RedisIoError> {
    let reply: Value = redis::cmd("XRANGE")
        .arg(key)
        .arg(start.to_string())
        .arg(end.to_string())
        .arg("COUNT")
        .arg(count)
        .query_async(conn)
        .await?;
    parse_entries(reply, "XRANGE")
}

/// The id of the newest entry of `key` (`XREVRANGE key + - COUNT 1`), `0-0` if
/// the stream is empty or does not exist yet.
pub async fn last_id(conn: &mut RedisConn, key: &str) -> Result<EntryId, RedisIoError> {
    let reply: Value = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    Ok(parse_entries(reply, "XREVRANGE")?
        .first()
        .map(|(id, _)| *id)
        .unwrap_or(EntryId::ZERO))
}

/// `SET lease value EX ttl`: tells the tailer somebody is watching.
pub async fn set_lease(
    conn: &mut RedisConn,
    lease_key: &str,
    value: &str,
    ttl: Duration,
) -> Result<(), RedisIoError> {
    let _: Value = redis::cmd("SET")
        .arg(lease_key)
        .arg(value)
        .arg("EX")
        .arg(ttl.as_secs().max(1))
        .query_async(conn)
        .await?;
    Ok(())
}

fn parse_xread(reply: Value) -> Result<Vec<RawEntry>, RedisIoError> {
    const CMD: &str = "XREAD";
    match reply {
        Value::Nil => Ok(Vec::new()),
        // RESP2: [[key, entries], ...]
        Value::Array(streams) => {
            let mut out = Vec::new();
            for stream in streams {
                let Value::Array(mut pair) = stream else {
                    return Err(RedisIoError::Shape(CMD));
                };
                if pair.len() != 2 {
                    return Err(RedisIoError::Shape(CMD));
                }
                out.extend(parse_entries(pair.swap_remove(1), CMD)?);
            }
            Ok(out)
        }
        // RESP3: {key: entries, ...}
        Value::Map(streams) => {
            let mut out = Vec::new();
            for (_, entries) in streams {
                out.extend(parse_entries(entries, CMD)?);
            }
            Ok(out)
        }
        _ => Err(RedisIoError::Shape(CMD)),
    }
}

/// Decodes `[[id, [field, value, ...]], ...]`.
fn parse_entries(reply: Value, cmd: &'static str) -> Result<Vec<RawEntry>, RedisIoError> {
    let entries = match reply {
        Value::Array(entries) => entries,
        Value::Nil => return Ok(Vec::new()),
        _ => return Err(RedisIoError::Shape(cmd)),
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let Value::Array(parts) = entry else {
            return Err(RedisIoError::Shape(cmd));
        };
        let mut parts = parts.into_iter();
        let id = match parts.next() {
            Some(Value::BulkString(b)) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse::<EntryId>().ok())
                .ok_or(RedisIoError::Shape(cmd))?,
            Some(Value::SimpleString(s)) => {
                s.parse::<EntryId>().map_err(|_| RedisIoError::Shape(cmd))?
            }
            _ => return Err(RedisIoError::Shape(cmd)),
        };
        let fields = match parts.next() {
            Some(Value::Array(f)) => f,
            Some(Value::Map(m)) => m.into_iter().flat_map(|(k, v)| [k, v]).collect(),
            _ => Vec::new(),
        };
        out.push((id, decode_fields(&fields)));
    }
    Ok(out)
}

fn bytes_of(v: &Value) -> &[u8] {
    match v {
        Value::BulkString(b) => b,
        Value::SimpleString(s) => s.as_bytes(),
        _ => &[],
    }
}

fn decode_fields(fields: &[Value]) -> Result<Entry, WireError> {
    Entry::from_fields(fields.chunks_exact(2).map(|kv| {
        let name = std::str::from_utf8(bytes_of(&kv[0])).unwrap_or("");
        (name, bytes_of(&kv[1]))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn entry(id: &str, fields: &[&str]) -> Value {
        Value::Array(vec![
            bulk(id),
            Value::Array(fields.iter().map(|f| bulk(f)).collect()),
        ])
    }

    #[test]
    fn decodes_resp2_and_resp3_xread_replies() {
        let entries = Value::Array(vec![
            entry("5-0", &["kind", "lines", "lines", "a\nb"]),
            entry("5-1", &["kind", "nonsense"]),
        ]);
        let resp2 = Value::Array(vec![Value::Array(vec![
            bulk("logs:{b9}:m:/x"),
            entries.clone(),
        ])]);
        let resp3 = Value::Map(vec![(bulk("logs:{b9}:m:/x"), entries)]);
        for reply in [resp2, resp3] {
            let got = parse_xread(reply).expect("decodes");
            assert_eq!(got.len(), 2);
            assert_eq!(got[0].0, EntryId { ms: 5, seq: 0 });
            assert_eq!(
                got[0].1,
                Ok(Entry::Lines {
                    lines: vec!["a".into(), "b".into()],
                    fd: None,
                    cut: 0,
                    pos: None,
                })
            );
            assert!(got[1].1.is_err(), "a bad entry is reported, not fatal");
        }
        assert!(parse_xread(Value::Nil).expect("nil = timeout").is_empty());
        assert!(matches!(
            parse_xread(Value::Int(3)),
            Err(RedisIoError::Shape("XREAD"))
        ));
    }
}
