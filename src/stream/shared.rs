//! The state of one stream that its reader, lease refresher and
//! subscriptions share, and the narrow handles they get from the hub: the
//! Redis connections and metrics ([`StreamIo`]) and a way to say a viewer
//! left ([`Detach`]). Nothing here knows the hub; the hub builds these.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::redis_conn::{RedisConn, StreamStore};
use tokio::sync::{broadcast, watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

use super::message::SharedJson;
use super::redis_io::{self, RedisIoError};
use crate::wire::EntryId;

/// A broadcast entry's message text, until the stream's byte budget takes it back.
#[derive(Debug)]
pub(crate) struct LiveJson(RwLock<Option<SharedJson>>);

impl LiveJson {
    pub fn new(json: SharedJson) -> LiveJson {
        LiveJson(RwLock::new(Some(json)))
    }

    /// The text, or `None` when the budget took it.
    pub fn get(&self) -> Option<SharedJson> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Gives the text up (the byte budget is exceeded).
    pub fn take(&self) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// One live entry as a viewer's ledger accounts for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LiveMark {
    /// The entry id.
    pub id: EntryId,
    /// The id of the entry the reader published just before (its start
    /// position for the first one).
    pub prev: EntryId,
    /// Reader weight (lines; events: 1) published before it.
    pub weight_before: u64,
    /// Its weight.
    pub weight: u64,
    /// Whether it is a `lines` entry (only lines are skipped).
    pub is_lines: bool,
}

/// One entry as broadcast by a stream's reader to every subscription.
#[derive(Debug)]
pub(crate) struct LiveItem {
    /// Its id, the id before it, the weight (lines; events: 1) the reader
    /// had published before it and its own.
    pub mark: LiveMark,
    /// The browser message, serialised once for all viewers (until the
    /// stream's byte budget takes it back).
    pub json: LiveJson,
}

/// Where a stream's reader is: everything up to `last_id` is in Redis (if
/// still retained), everything after reaches every subscribed receiver.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    pub last_id: EntryId,
    pub published_weight: u64,
}

#[derive(Debug, Default)]
pub(crate) struct StreamState {
    pub viewers: usize,
    /// `None` until the reader knows where it starts.
    pub position: Option<Position>,
}

/// A stream being read: shared by its reader, lease refresher and subscriptions.
#[derive(Debug)]
pub(crate) struct StreamShared {
    pub key: String,
    pub tx: broadcast::Sender<Arc<LiveItem>>,
    pub state: Mutex<StreamState>,
    /// Becomes `true` once `state.position` is set.
    pub ready: watch::Sender<bool>,
    /// Cancelled when the stream is reaped or the hub shuts down.
    pub cancel: CancellationToken,
    /// Signalled when the viewer count goes from 0 to 1 (refresh the lease now).
    pub attached: Notify,
}

impl StreamShared {
    /// Locks the state; a poisoned lock (a panic elsewhere) is recovered.
    pub fn state(&self) -> MutexGuard<'_, StreamState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a stream's tasks use of the hub: its Redis client, the shared
/// connection for short commands, and the metrics.
pub(crate) struct StreamIo {
    client: Result<StreamStore, String>,
    shared_conn: tokio::sync::Mutex<Option<RedisConn>>,
    pub metrics: Arc<Metrics>,
}

impl StreamIo {
    /// `client` is `Err` (the error kind) when `redis.url` cannot be used.
    pub fn new(client: Result<StreamStore, String>, metrics: Arc<Metrics>) -> StreamIo {
        StreamIo {
            client,
            shared_conn: tokio::sync::Mutex::new(None),
            metrics,
        }
    }

    /// Why the Redis client cannot be built, if it cannot.
    pub fn client_error(&self) -> Option<&str> {
        self.client.as_ref().err().map(String::as_str)
    }

    /// The Redis client (one Redis or a cluster; checked before any stream starts).
    pub fn client(&self) -> Result<&StreamStore, RedisIoError> {
        self.client
            .as_ref()
            .map_err(|_| RedisIoError::Shape("client setup (invalid redis.url)"))
    }

    /// The shared connection for short commands, connecting on first use.
    pub async fn shared_conn(&self) -> Result<RedisConn, RedisIoError> {
        let mut slot = self.shared_conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let conn = redis_io::shared_connection(self.client()?)?;
        *slot = Some(conn.clone());
        Ok(conn)
    }
}

/// Told when a viewer of a stream goes away (a [`super::Subscription`] is dropped).
pub(crate) trait Detach: Send + Sync {
    /// One viewer of `shared` left.
    fn detach(self: Arc<Self>, shared: &Arc<StreamShared>);
}
