//! One tail start per stream across logview replicas: `start_locks.rs`
//! keeps two requests of one process apart, but with N replicas behind a
//! load balancer two POSTs for the same file can land on two processes, both
//! find no tailer and both start one (the second replaces the first, whose
//! viewer sees a stop and the backlog again). So the start also holds a claim
//! in Redis: `SET <stream>:start <token> NX PX ttl`, released by a
//! compare-and-delete script (only the holder's token deletes it), polled by
//! the others until it is free. A replica that dies while holding it leaves a
//! key that expires after [`claim_ttl`], the longest a start can take.
//!
//! The `logview` Redis ACL user may `SET`, `DEL` and `EVAL` on `*:start` keys
//! only (`scripts/lib/redis.sh`); the script's `GET` is the user's read.

use std::time::Duration;

use crate::redis_conn::RedisConn;
use rand::RngCore;
use redis::RedisError;
use tokio::time::Instant;

use crate::settings::Settings;
use crate::stream::idempotent;
use crate::wire;

/// Deletes the key only while it still holds the caller's token.
const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/// Redis commands inside one start (lease, owner, share scan pages, last id,
/// resume scan, confirmation reads), each bounded by a 2 s response timeout
/// and one retry: a generous allowance on top of the Salt calls.
const REDIS_ALLOWANCE: Duration = Duration::from_secs(30);

/// The longest one start can hold its claim: at most three Salt requests
/// (`logtail stop`, `follow`, the cleanup `stop` of a tailer that did not
/// confirm), each bounded by `salt.request_timeout_secs`, the wait for
/// `started` (`salt.start_confirm_secs`), and the Redis commands.
pub(crate) fn claim_ttl(settings: &Settings) -> Duration {
    Duration::from_secs(3 * settings.salt.request_timeout_secs + settings.salt.start_confirm_secs)
        + REDIS_ALLOWANCE
}

/// The claims of one logview process.
#[derive(Clone)]
pub(crate) struct StartClaims {
    manager: RedisConn,
    ttl: Duration,
}

/// A held claim. [`Claim::release`] frees it; dropped unreleased (the
/// request's future was cancelled), a task frees it.
pub(crate) struct Claim {
    manager: RedisConn,
    key: String,
    token: Option<String>,
}

impl StartClaims {
    /// Claims on the connection `manager` (the `logview` user's).
    pub fn new(settings: &Settings, manager: RedisConn) -> StartClaims {
        StartClaims {
            manager,
            ttl: claim_ttl(settings),
        }
    }

    /// Waits until this process holds the claim of `stream`. `Ok(None)`: a
    /// claim held elsewhere did not go away within its TTL and a second
    /// (another holder took it meanwhile, or clocks disagree).
    pub async fn acquire(&self, stream: &str) -> Result<Option<Claim>, RedisError> {
        let key = wire::start_claim_key(stream);
        let token = new_token();
        let give_up = Instant::now() + self.ttl + Duration::from_secs(1);
        let mut pause = Duration::from_millis(20);
        loop {
            if self.try_set(&key, &token).await? {
                return Ok(Some(Claim {
                    manager: self.manager.clone(),
                    key,
                    token: Some(token),
                }));
            }
            if Instant::now() + pause > give_up {
                return Ok(None);
            }
            tracing::debug!(%stream, "another logview replica is starting this stream; waiting");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// `SET key token NX PX ttl`; true when the key now holds `token` (a
    /// retried SET whose first attempt succeeded finds its own token).
    async fn try_set(&self, key: &str, token: &str) -> Result<bool, RedisError> {
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        let set: Option<String> = idempotent("SET start NX", || {
            let mut c = self.manager.clone();
            let cmd = redis::cmd("SET")
                .arg(key)
                .arg(token)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .to_owned();
            async move { cmd.query_async(&mut c).await }
        })
        .await?;
        if set.is_some() {
            return Ok(true);
        }
        let holder: Option<String> = idempotent("GET start", || {
            let mut c = self.manager.clone();
            let cmd = redis::cmd("GET").arg(key).to_owned();
            async move { cmd.query_async(&mut c).await }
        })
        .await?;
        Ok(holder.as_deref() == Some(token))
    }
}

impl Claim {
    /// Frees the claim (if it still holds this token). A failure is logged:
    /// the key then expires by itself.
    pub async fn release(mut self) {
        if let Some(token) = self.token.take() {
            release(self.manager.clone(), &self.key, &token).await;
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        let (manager, key) = (self.manager.clone(), std::mem::take(&mut self.key));
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { release(manager, &key, &token).await });
        }
    }
}

async fn release(manager: RedisConn, key: &str, token: &str) {
    let result: Result<i64, RedisError> = idempotent("EVAL release start", || {
        let mut c = manager.clone();
        let cmd = redis::cmd("EVAL")
            .arg(RELEASE)
            .arg(1)
            .arg(key)
            .arg(token)
            .to_owned();
        async move { cmd.query_async(&mut c).await }
    })
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "releasing a start claim failed; it expires by itself");
    }
}

/// 128 random bits, hex.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ttl_covers_the_longest_start_the_settings_allow() {
        let s = Settings::shipped();
        let ttl = claim_ttl(&s);
        let salt = Duration::from_secs(3 * s.salt.request_timeout_secs + s.salt.start_confirm_secs);
        assert!(ttl > salt, "{ttl:?} must exceed the Salt part {salt:?}");
    }

    #[test]
    fn tokens_are_random_and_128_bits() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
