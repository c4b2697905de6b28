//! Where a tailer's connection goes: one Redis (`redis_url`), or the master
//! of the stream's slot in a Redis Cluster (`redis_cluster_urls`, seed nodes).
//!
//! In a cluster, every (re)connect asks a seed `CLUSTER SLOTS` (the tailer
//! ACL user has exactly `+cluster|slots` for it), computes the slot of the
//! stream's hash tag ([`crate::wire::key_slot`]; the stream, its lease and its
//! owner key share it) and connects to that slot's master with the seed's
//! credentials. A `MOVED`, `ASK`, `CLUSTERDOWN` or a lost connection makes the
//! publisher drop the connection ([`super::conn::TRANSIENT`]) and come back
//! here after its backoff: a failover costs a reconnect, the outage queue keeps
//! the lines meanwhile. No tokio, no cluster client: a few dozen lines of
//! sync code keep the static binary small.

use redis::{ConnectionAddr, ConnectionLike, Value};

use super::config::Config;
use super::conn::{open, server_of};
use super::error::{Error, Result};
use crate::wire::key_slot;

/// Where to connect.
pub enum Endpoint {
    /// One Redis.
    Single(redis::Client),
    /// A Redis Cluster: seed nodes, the stream's slot and the master found last.
    Cluster {
        /// The configured nodes, asked in order for `CLUSTER SLOTS`.
        seeds: Vec<redis::Client>,
        /// The slot of the stream key.
        slot: u16,
        /// The master of `slot` found by the last discovery (asked first next time).
        master: Option<redis::Client>,
        /// `redis_cluster_wait_ms`: `WAIT 1 <ms>` after each pipeline (0 = no).
        wait_ms: u64,
    },
}

impl Endpoint {
    /// The endpoint of `cfg` for writing `stream` (URLs were validated at load).
    pub fn from_config(cfg: &Config, stream: &str) -> Result<Endpoint> {
        let bad = |key: &str| Error::RedisAtStart(format!("{key} is not a valid redis:// URL"));
        if cfg.redis_cluster_urls.is_empty() {
            return redis::Client::open(cfg.redis_url.as_str())
                .map(Endpoint::Single)
                .map_err(|_| bad("redis_url"));
        }
        let seeds = cfg
            .redis_cluster_urls
            .iter()
            .map(|u| redis::Client::open(u.as_str()).map_err(|_| bad("redis_cluster_urls")))
            .collect::<Result<Vec<_>>>()?;
        Ok(Endpoint::Cluster {
            seeds,
            slot: key_slot(stream.as_bytes()),
            master: None,
            wait_ms: cfg.redis_cluster_wait_ms,
        })
    }

    /// In a cluster with `redis_cluster_wait_ms` > 0: how long each
    /// pipeline's `WAIT 1` may block.
    pub fn wait_ms(&self) -> Option<u64> {
        match self {
            Endpoint::Cluster { wait_ms, .. } if *wait_ms > 0 => Some(*wait_ms),
            _ => None,
        }
    }

    /// The server to name in messages (never the password).
    pub fn server(&self) -> String {
        match self {
            Endpoint::Single(c) => server_of(c),
            Endpoint::Cluster {
                master: Some(m), ..
            } => server_of(m),
            Endpoint::Cluster { seeds, slot, .. } => {
                let names: Vec<String> = seeds.iter().map(server_of).collect();
                format!("cluster slot {slot} via {}", names.join(","))
            }
        }
    }

    /// A connection to the server that takes the stream's writes.
    pub fn open(&mut self) -> redis::RedisResult<redis::Connection> {
        match self {
            Endpoint::Single(c) => open(c),
            Endpoint::Cluster {
                seeds,
                slot,
                master,
                ..
            } => {
                let found = discover(master.iter().chain(seeds.iter()), *slot)?;
                let conn = open(&found);
                *master = Some(found);
                conn
            }
        }
    }
}

/// Asks the nodes in turn for the master of `slot` (the first that answers
/// decides); a client for it with the asking node's credentials.
fn discover<'a>(
    nodes: impl Iterator<Item = &'a redis::Client>,
    slot: u16,
) -> redis::RedisResult<redis::Client> {
    let mut last_err = None;
    for node in nodes {
        let reply = open(node).and_then(|mut c| c.req_command(redis::cmd("CLUSTER").arg("SLOTS")));
        match reply {
            Ok(Value::ServerError(e)) => last_err = Some(redis::RedisError::from(e)),
            Ok(v) => {
                let info = node.get_connection_info();
                let (host, port) = master_of(&v, slot).ok_or_else(|| {
                    redis::RedisError::from((
                        redis::ErrorKind::ClusterConnectionNotFound,
                        "no master serves the stream's slot",
                    ))
                })?;
                let host = match (host.is_empty(), info.addr()) {
                    // An empty host means "the node you asked".
                    (true, ConnectionAddr::Tcp(h, _)) => h.clone(),
                    _ => host,
                };
                return redis::Client::open(info.clone().set_addr(ConnectionAddr::Tcp(host, port)));
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        redis::RedisError::from((
            redis::ErrorKind::ClusterConnectionNotFound,
            "no cluster node configured",
        ))
    }))
}

/// The master (host, port) of `slot` in a `CLUSTER SLOTS` reply:
/// `[[start, end, [host, port, id, …], replica…], …]`.
pub fn master_of(reply: &Value, slot: u16) -> Option<(String, u16)> {
    let Value::Array(ranges) = reply else {
        return None;
    };
    ranges.iter().find_map(|range| {
        let Value::Array(parts) = range else {
            return None;
        };
        let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(node))) =
            (parts.first(), parts.get(1), parts.get(2))
        else {
            return None;
        };
        if !(*start..=*end).contains(&i64::from(slot)) {
            return None;
        }
        let host = match node.first()? {
            Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            Value::SimpleString(s) => s.clone(),
            _ => return None,
        };
        let Value::Int(port) = node.get(1)? else {
            return None;
        };
        Some((host, u16::try_from(*port).ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, port: i64) -> Value {
        Value::Array(vec![
            Value::BulkString(host.as_bytes().to_vec()),
            Value::Int(port),
            Value::BulkString(b"0123abcd".to_vec()),
        ])
    }

    #[test]
    fn the_master_of_a_slot_is_the_first_node_of_its_range() {
        let reply = Value::Array(vec![
            Value::Array(vec![
                Value::Int(0),
                Value::Int(5460),
                node("10.0.0.1", 7001),
                node("10.0.0.4", 7004),
            ]),
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(10922),
                node("10.0.0.2", 7002),
            ]),
            Value::Array(vec![Value::Int(10923), Value::Int(16383), node("", 7003)]),
        ]);
        assert_eq!(master_of(&reply, 0), Some(("10.0.0.1".into(), 7001)));
        assert_eq!(master_of(&reply, 5461), Some(("10.0.0.2".into(), 7002)));
        assert_eq!(master_of(&reply, 12739), Some(("".into(), 7003)));
        let partial = Value::Array(vec![Value::Array(vec![
            Value::Int(0),
            Value::Int(100),
            node("h", 1),
        ])]);
        assert_eq!(master_of(&partial, 101), None, "an unserved slot");
        assert_eq!(master_of(&Value::Nil, 1), None);
    }
}
