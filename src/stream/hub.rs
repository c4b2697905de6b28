//! The stream hub: the registry of streams this process reads, one Redis
//! reader (and one lease refresher) per stream whatever the number of
//! viewers, viewer attach/detach with limits, and shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::Metrics;
use crate::settings::Settings;

use super::ledger::ViewStart;
use super::redis_io::{self, RedisIoError};
use super::shared::{Detach, StreamIo, StreamShared, StreamState};
use super::subscription::Subscription;
use super::{lease, reader};

/// How long a stream's reader lives on after its last viewer left, so a
/// reconnecting viewer finds it still running.
pub const READER_GRACE: Duration = Duration::from_secs(5);

/// Why a viewer could not be attached. `Display` is shown to the viewer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// `limits.max_streams` streams are already being read by this process.
    #[error("this logview instance already follows its maximum of {limit} streams (limits.max_streams); try again when a viewer closes")]
    TooManyStreams {
        /// The configured limit.
        limit: usize,
    },
    /// `limits.max_viewers_per_stream` viewers already watch this stream.
    #[error("this log already has its maximum of {limit} viewers (limits.max_viewers_per_stream); close another viewer or try again later")]
    TooManyViewers {
        /// The configured limit.
        limit: usize,
    },
    /// The service is shutting down.
    #[error("logview is shutting down; reconnect in a moment")]
    ShuttingDown,
    /// `redis.url` cannot be used.
    #[error("logview cannot use its Redis URL (setting redis.url): {0}")]
    BadRedisUrl(String),
}

struct HubInner {
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    io: Arc<StreamIo>,
    streams: Mutex<HashMap<String, Arc<StreamShared>>>,
    cancel: CancellationToken,
    tasks: TaskTracker,
    /// Value written in lease keys: which logview holds the lease.
    instance: String,
}

/// Fans each Redis stream out to its viewers. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("instance", &self.inner.instance)
            .finish_non_exhaustive()
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

impl Hub {
    /// A hub reading with `settings.redis` credentials. Connects lazily.
    pub fn new(settings: Arc<Settings>, metrics: Arc<Metrics>) -> Hub {
        let client = crate::redis_conn::StreamStore::from_settings(&settings)
            // The redis error text may quote the URL: keep only its kind.
            .map_err(|e| format!("{:?}", e.kind()));
        Hub {
            inner: Arc::new(HubInner {
                settings,
                io: Arc::new(StreamIo::new(client, Arc::clone(&metrics))),
                metrics,
                streams: Mutex::new(HashMap::new()),
                cancel: CancellationToken::new(),
                tasks: TaskTracker::new(),
                instance: format!("logview@{}:{}", host_name(), std::process::id()),
            }),
        }
    }

    /// Attaches a viewer to `stream`. It will get the retained backlog
    /// strictly after `start.after` (everything if `None`), less the lines
    /// `start` skips, then live entries, in id order, none twice. Starts the
    /// stream's reader if needed.
    pub fn subscribe(
        &self,
        stream: &str,
        start: impl Into<ViewStart>,
    ) -> Result<Subscription, HubError> {
        let start = start.into();
        let inner = &self.inner;
        if inner.cancel.is_cancelled() {
            return Err(HubError::ShuttingDown);
        }
        if let Some(e) = inner.io.client_error() {
            return Err(HubError::BadRedisUrl(e.to_owned()));
        }
        let limits = &inner.settings.limits;
        let mut streams = inner.streams.lock().unwrap_or_else(|e| e.into_inner());
        let shared = match streams.get(stream) {
            Some(shared) => {
                let mut state = shared.state();
                if state.viewers >= limits.max_viewers_per_stream {
                    return Err(HubError::TooManyViewers {
                        limit: limits.max_viewers_per_stream,
                    });
                }
                state.viewers += 1;
                if state.viewers == 1 {
                    shared.attached.notify_one();
                }
                Arc::clone(shared)
            }
            None => {
                if streams.len() >= limits.max_streams {
                    // A stream in its grace period (no viewer) makes room.
                    let idle = streams
                        .iter()
                        .find(|(_, s)| s.state().viewers == 0)
                        .map(|(k, _)| k.clone());
                    if let Some(shared) = idle.and_then(|k| streams.remove(&k)) {
                        shared.cancel.cancel();
                        inner.metrics.stream_closed();
                    }
                }
                if streams.len() >= limits.max_streams {
                    return Err(HubError::TooManyStreams {
                        limit: limits.max_streams,
                    });
                }
                let (tx, _) = broadcast::channel(limits.viewer_queue);
                let shared = Arc::new(StreamShared {
                    key: stream.to_owned(),
                    tx,
                    state: Mutex::new(StreamState {
                        viewers: 1,
                        position: None,
                    }),
                    ready: watch::Sender::new(false),
                    cancel: inner.cancel.child_token(),
                    attached: Notify::new(),
                });
                streams.insert(stream.to_owned(), Arc::clone(&shared));
                inner.metrics.stream_opened();
                inner.tasks.spawn(reader::run(
                    Arc::clone(&inner.io),
                    limits.stream_buffer_bytes,
                    Arc::clone(&shared),
                ));
                inner.tasks.spawn(lease::run(
                    Arc::clone(&inner.io),
                    lease::Lease {
                        instance: inner.instance.clone(),
                        ttl: Duration::from_secs(inner.settings.redis.lease_ttl_secs),
                    },
                    Arc::clone(&shared),
                ));
                tracing::info!(stream = %stream, "stream reader started");
                shared
            }
        };
        drop(streams);
        inner.metrics.viewer_attached();
        let detach: Arc<dyn Detach> = Arc::clone(inner) as Arc<dyn Detach>;
        Ok(Subscription::new(
            Arc::clone(&inner.io),
            detach,
            shared,
            start,
        ))
    }

    /// Number of streams with a running reader (including those in their grace period).
    pub fn active_streams(&self) -> usize {
        self.inner.streams.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Checks that Redis answers the `logview` user with an allowed read
    /// (XREVRANGE on a key no stream uses; the user may not PING).
    pub async fn check_redis(&self) -> Result<(), RedisIoError> {
        let probe = format!("{}:readyz", self.inner.settings.redis.prefix);
        let mut conn = self.inner.io.shared_conn().await?;
        match redis_io::last_id(&mut conn, &probe).await {
            // A connection that broke (Redis restarted) reconnects for a second try.
            Err(RedisIoError::Redis(e)) if redis_io::connection_broke(&e) => {
                redis_io::last_id(&mut conn, &probe).await.map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    /// Closes every stream: readers and lease refreshers stop, every
    /// subscription ends (WebSocket/SSE handlers then close their clients).
    pub fn shutdown(&self) {
        let inner = &self.inner;
        inner.cancel.cancel();
        let mut streams = inner.streams.lock().unwrap_or_else(|e| e.into_inner());
        for (_, shared) in streams.drain() {
            shared.cancel.cancel();
            inner.metrics.stream_closed();
        }
        inner.tasks.close();
        tracing::info!("stream hub shut down");
    }

    /// Waits until every reader and lease task has ended (after [`Hub::shutdown`]).
    pub async fn closed(&self) {
        self.inner.tasks.wait().await;
    }
}

impl Detach for HubInner {
    /// A viewer of `shared` left; the last one starts the grace period.
    fn detach(self: Arc<Self>, shared: &Arc<StreamShared>) {
        self.metrics.viewer_detached();
        let idle = {
            let mut state = shared.state();
            state.viewers = state.viewers.saturating_sub(1);
            state.viewers == 0
        };
        if !idle {
            return;
        }
        let inner = Arc::clone(&self);
        let shared = Arc::clone(shared);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                self.tasks.spawn_on(
                    async move {
                        tokio::select! {
                            _ = shared.cancel.cancelled() => {}
                            _ = tokio::time::sleep(READER_GRACE) => inner.reap(&shared),
                        }
                    },
                    &handle,
                );
            }
            Err(_) => inner.reap(&shared),
        }
    }
}

impl HubInner {
    /// Stops `shared`'s reader if it still has no viewer.
    fn reap(&self, shared: &Arc<StreamShared>) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let current = streams
            .get(&shared.key)
            .is_some_and(|s| Arc::ptr_eq(s, shared));
        if current && shared.state().viewers == 0 {
            streams.remove(&shared.key);
            shared.cancel.cancel();
            self.metrics.stream_closed();
            tracing::info!(stream = %shared.key, "stream reader stopped (no viewer)");
        }
    }
}
