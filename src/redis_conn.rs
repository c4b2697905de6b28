//! Where logview's stream traffic goes: one Redis (`redis.url`, the default)
//! or a Redis Cluster (`redis.cluster_urls`, seed nodes). The one place that
//! knows the difference.
//!
//! * Short commands (lease `SET`, owner `GET`, `XRANGE`/`XREVRANGE`, the
//!   readiness probe) go through [`RedisConn`]: a reconnecting
//!   `ConnectionManager`, or the `redis` crate's async cluster client (it
//!   follows `MOVED`/`ASK` and refreshes the slot map after a failover).
//! * A blocking `XREAD` must not run under a response timeout shorter than its
//!   `BLOCK` nor share a connection, so it never goes through the cluster
//!   client: [`StreamStore::blocking_connection_for_key`] asks a node
//!   `CLUSTER SLOTS` for the master of the key's slot and opens a plain
//!   connection there. Its caller reconnects (and so re-discovers) on any
//!   error, `MOVED` included.
//!
//! The audit stream is not here: it stays on `audit.redis_url` / `redis.url`.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, ConnectionAddr, RedisError, RedisFuture, Value};
use secrecy::ExposeSecret;

use crate::settings::Settings;
use crate::wire::key_slot;

/// Connect timeout of every connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the streams live.
#[derive(Clone)]
pub enum StreamStore {
    /// One Redis.
    Single(Client),
    /// A Redis Cluster: its client and the seeds (for `CLUSTER SLOTS`).
    Cluster {
        /// The cluster client (short commands).
        client: Box<ClusterClient>,
        /// One plain client per seed node.
        seeds: Vec<Client>,
    },
}

impl std::fmt::Debug for StreamStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamStore::Single(_) => f.write_str("StreamStore::Single"),
            StreamStore::Cluster { seeds, .. } => {
                write!(f, "StreamStore::Cluster({} seeds)", seeds.len())
            }
        }
    }
}

impl StreamStore {
    /// From `[redis]`: `cluster_urls` if any, else `url`. Connects lazily.
    pub fn from_settings(settings: &Settings) -> Result<StreamStore, RedisError> {
        let r = &settings.redis;
        if r.cluster_urls.is_empty() {
            return Client::open(r.url.expose_secret()).map(StreamStore::Single);
        }
        let urls: Vec<&str> = r.cluster_urls.iter().map(|u| u.expose_secret()).collect();
        let seeds = urls
            .iter()
            .map(|u| Client::open(*u))
            .collect::<Result<Vec<_>, _>>()?;
        let client = ClusterClient::builder(urls)
            .connection_timeout(CONNECT_TIMEOUT)
            .build()?;
        Ok(StreamStore::Cluster {
            client: Box::new(client),
            seeds,
        })
    }

    /// Whether the streams live in a cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, StreamStore::Cluster { .. })
    }

    /// A connection for short commands with `response_timeout`; nothing is
    /// connected before the first command (logview starts while Redis is down).
    pub fn connection(&self, response_timeout: Duration) -> Result<RedisConn, RedisError> {
        match self {
            StreamStore::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(response_timeout))
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_number_of_retries(1);
                Ok(RedisConn::Single(ConnectionManager::new_lazy_with_config(
                    client.clone(),
                    config,
                )?))
            }
            StreamStore::Cluster { client, .. } => {
                let _ = response_timeout; // the cluster client's own (per node) applies
                Ok(RedisConn::Cluster(LazyCluster {
                    client: Arc::new(ClusterClient::clone(client)),
                    conn: Arc::new(tokio::sync::Mutex::new(None)),
                }))
            }
        }
    }

    /// A dedicated connection for one blocking reader of `key` (or of every
    /// key with its hash tag): on the master of the key's slot in a cluster.
    /// Its response timeout is above `block`; nothing else is ever sent on it.
    pub async fn blocking_connection_for_key(
        &self,
        key: &str,
        block: Duration,
    ) -> Result<MultiplexedConnection, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(block + Duration::from_secs(5)));
        let client = match self {
            StreamStore::Single(client) => client.clone(),
            StreamStore::Cluster { seeds, .. } => {
                master_for_slot(seeds, key_slot(key.as_bytes())).await?
            }
        };
        client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }
}

/// Asks the seeds in turn for `CLUSTER SLOTS`; a client for the master of
/// `slot` with the answering seed's credentials.
async fn master_for_slot(seeds: &[Client], slot: u16) -> Result<Client, RedisError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(Duration::from_secs(2)));
    let mut last = None;
    for seed in seeds {
        let reply = async {
            let mut c = seed
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("CLUSTER")
                .arg("SLOTS")
                .query_async::<Value>(&mut c)
                .await
        }
        .await;
        match reply {
            Ok(v) => {
                let info = seed.get_connection_info();
                let Some((host, port)) = crate::tail::cluster::master_of(&v, slot) else {
                    last = Some(RedisError::from((
                        redis::ErrorKind::ClusterConnectionNotFound,
                        "no master serves the stream's slot",
                    )));
                    continue;
                };
                let host = match (host.is_empty(), info.addr()) {
                    (true, ConnectionAddr::Tcp(h, _)) => h.clone(),
                    _ => host,
                };
                return Client::open(info.clone().set_addr(ConnectionAddr::Tcp(host, port)));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        RedisError::from((
            redis::ErrorKind::ClusterConnectionNotFound,
            "redis.cluster_urls is empty",
        ))
    }))
}

/// A connection for short commands, to one Redis or to a cluster.
#[derive(Clone)]
pub enum RedisConn {
    /// One Redis: reconnects by itself.
    Single(ConnectionManager),
    /// A cluster: connected on first use, then follows the cluster itself.
    Cluster(LazyCluster),
}

/// The cluster client's connection, made on first use.
#[derive(Clone)]
pub struct LazyCluster {
    client: Arc<ClusterClient>,
    conn: Arc<tokio::sync::Mutex<Option<ClusterConnection>>>,
}

impl LazyCluster {
    async fn get(&self) -> Result<ClusterConnection, RedisError> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = self.client.get_async_connection().await?;
        *slot = Some(c.clone());
        Ok(c)
    }
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConn::Single(c) => c.req_packed_command(cmd),
            RedisConn::Cluster(lazy) => Box::pin(async move {
                let mut c = lazy.get().await?;
                c.req_packed_command(cmd).await
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            RedisConn::Cluster(lazy) => Box::pin(async move {
                let mut c = lazy.get().await?;
                c.req_packed_commands(pipeline, offset, count).await
            }),
        }
    }

    fn get_db(&self) -> i64 {
        0
    }
}
