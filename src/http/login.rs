//! [`LoginGuard`]: what stands between an HTTP Basic sign-in and argon2.
//!
//! * A remembered success (keyed by an HMAC of user and password under a
//!   per-process random key, for `login.success_cache_secs`) skips argon2.
//! * After `login.free_failures` failures from one client address or for one
//!   user name, each further attempt must wait a doubling back-off (up to
//!   `login.backoff_max_secs`); attempts during it are refused unverified.
//! * At most `login.max_concurrent_verifications` argon2 runs at once, each in
//!   a [`Workspace`] reused while sign-ins queue (freed when none wait); at
//!   most `login.max_waiting` wait for one.
//! * An unknown user is verified against a dummy hash, so timing does not
//!   tell which users exist.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::password::{self, Workspace};
use crate::settings::LoginSettings;

/// Failure records (per address, per user) and remembered successes kept at
/// most; beyond, new ones are not recorded (the other key still limits).
const MAX_TRACKED: usize = 10_000;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Unknown user or wrong password (never says which).
    #[error("wrong user name or password")]
    Wrong,
    /// Too many failures from this address or for this user.
    #[error(
        "too many failed sign-ins from this address or for this user; wait {secs} s and try again"
    )]
    Backoff {
        /// Seconds until the next attempt is verified.
        secs: u64,
    },
    /// Every verification slot is taken and too many sign-ins already wait.
    #[error("too many sign-ins are being checked right now; try again in a moment")]
    Busy,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    until: Instant,
}

struct Inner {
    settings: LoginSettings,
    slots: Semaphore,
    waiting: AtomicUsize,
    workspaces: Mutex<Vec<Workspace>>,
    dummy_hash: String,
    cache_key: [u8; 32],
    cache: Mutex<HashMap<[u8; 32], Instant>>,
    by_addr: Mutex<HashMap<IpAddr, Failures>>,
    by_user: Mutex<HashMap<String, Failures>>,
    verifications: AtomicU64,
}

/// Rate-limits and verifies HTTP Basic sign-ins. Cheap to clone.
#[derive(Clone)]
pub struct LoginGuard {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LoginGuard {
    /// A guard with `settings`. Computes the dummy hash (one argon2 run).
    pub fn new(settings: &LoginSettings) -> LoginGuard {
        use rand::RngCore;
        let mut rng = rand::rngs::OsRng;
        let mut cache_key = [0u8; 32];
        rng.fill_bytes(&mut cache_key);
        let mut secret = [0u8; 24];
        rng.fill_bytes(&mut secret);
        let dummy: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        // Same parameters as `logview hash-password`, so it costs the same.
        let dummy_hash = password::hash(&dummy).unwrap_or_default();
        LoginGuard {
            inner: Arc::new(Inner {
                slots: Semaphore::new(settings.max_concurrent_verifications),
                settings: settings.clone(),
                waiting: AtomicUsize::new(0),
                workspaces: Mutex::new(Vec::new()),
                dummy_hash,
                cache_key,
                cache: Mutex::new(HashMap::new()),
                by_addr: Mutex::new(HashMap::new()),
                by_user: Mutex::new(HashMap::new()),
                verifications: AtomicU64::new(0),
            }),
        }
    }

    /// argon2 verifications run so far (for tests and benchmarks).
    pub fn verifications(&self) -> u64 {
        self.inner.verifications.load(Ordering::Relaxed)
    }

    /// Checks `password` of `user` against `hash` (`None`: unknown user),
    /// for a client at `addr` (`None`: not known).
    pub async fn sign_in(
        &self,
        addr: Option<IpAddr>,
        user: &str,
        password: &str,
        hash: Option<&str>,
    ) -> Result<(), LoginError> {
        let inner = &self.inner;
        let key = self.cache_key(user, password);
        let now = Instant::now();
        if hash.is_some() && lock(&inner.cache).get(&key).is_some_and(|exp| *exp > now) {
            return Ok(());
        }
        self.check_backoff(addr, user)?;
        let ok = self.verify(addr, user, password, hash).await? && hash.is_some();
        let now = Instant::now();
        if ok {
            if let Some(a) = addr {
                lock(&inner.by_addr).remove(&a);
            }
            lock(&inner.by_user).remove(user);
            self.remember(key, now);
            Ok(())
        } else {
            if let Some(a) = addr {
                self.fail(&inner.by_addr, a, now);
            }
            self.fail(&inner.by_user, user.to_owned(), now);
            Err(LoginError::Wrong)
        }
    }

    /// Refuses while `addr` or `user` is backing off.
    fn check_backoff(&self, addr: Option<IpAddr>, user: &str) -> Result<(), LoginError> {
        let inner = &self.inner;
        let now = Instant::now();
        let wait = [
            addr.and_then(|a| self.backoff(&inner.by_addr, &a, now)),
            self.backoff(&inner.by_user, user, now),
        ]
        .into_iter()
        .flatten()
        .max();
        match wait {
            Some(wait) => Err(LoginError::Backoff {
                secs: wait.as_secs().max(1),
            }),
            None => Ok(()),
        }
    }

    fn cache_key(&self, user: &str, password: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.inner.cache_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(user.as_bytes());
        mac.update(&[0]);
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn remember(&self, key: [u8; 32], now: Instant) {
        let ttl = self.inner.settings.success_cache_secs;
        if ttl == 0 {
            return;
        }
        let mut cache = lock(&self.inner.cache);
        if cache.len() >= MAX_TRACKED {
            cache.retain(|_, exp| *exp > now);
        }
        if cache.len() < MAX_TRACKED {
            cache.insert(key, now + Duration::from_secs(ttl));
        }
    }

    /// The wait still imposed on `key`, if any.
    fn backoff<K, Q>(
        &self,
        map: &Mutex<HashMap<K, Failures>>,
        key: &Q,
        now: Instant,
    ) -> Option<Duration>
    where
        K: Eq + Hash + std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let f = *lock(map).get(key)?;
        (f.until > now).then(|| f.until - now)
    }

    fn fail<K: Eq + Hash>(&self, map: &Mutex<HashMap<K, Failures>>, key: K, now: Instant) {
        let s = &self.inner.settings;
        let max = Duration::from_secs(s.backoff_max_secs);
        let mut map = lock(map);
        if map.len() >= MAX_TRACKED {
            map.retain(|_, f| now.duration_since(f.last) < 2 * max);
        }
        if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
            return;
        }
        let f = map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
            until: now,
        });
        // Failures long ago are forgotten.
        if now.duration_since(f.last) >= 2 * max {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count > s.free_failures {
            let doublings = (f.count - s.free_failures - 1).min(30);
            let wait = Duration::from_secs(1u64 << doublings).min(max);
            f.until = now + wait;
        }
    }

    /// Runs argon2 (against the dummy hash when `hash` is `None`) in a
    /// verification slot and a reused workspace.
    /// Workspaces are kept for the next sign-in only while others wait: an
    /// idle logview does not hold 19 MiB per slot.
    fn free_idle_workspaces(&self) {
        if self.inner.waiting.load(Ordering::SeqCst) == 0 {
            lock(&self.inner.workspaces).clear();
        }
    }

    /// Checks the back-off again once a slot is free: attempts that queued
    /// together before the failures that started it are refused then.
    async fn verify(
        &self,
        addr: Option<IpAddr>,
        user: &str,
        password: &str,
        hash: Option<&str>,
    ) -> Result<bool, LoginError> {
        let inner = &self.inner;
        let permit = match inner.slots.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if inner.waiting.fetch_add(1, Ordering::SeqCst) >= inner.settings.max_waiting {
                    inner.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(LoginError::Busy);
                }
                let acquired = inner.slots.acquire().await;
                inner.waiting.fetch_sub(1, Ordering::SeqCst);
                acquired.map_err(|_| LoginError::Busy)?
            }
        };
        if let Err(e) = self.check_backoff(addr, user) {
            self.free_idle_workspaces();
            return Err(e);
        }
        let mut ws = lock(&inner.workspaces).pop().unwrap_or_default();
        let phc = hash.unwrap_or(&inner.dummy_hash).to_owned();
        let password = password.to_owned();
        inner.verifications.fetch_add(1, Ordering::Relaxed);
        let joined = tokio::task::spawn_blocking(move || {
            let ok = password::verify_in(&mut ws, &password, &phc);
            (ok, ws)
        })
        .await;
        drop(permit);
        match joined {
            Ok((ok, ws)) => {
                lock(&inner.workspaces).push(ws);
                self.free_idle_workspaces();
                Ok(ok)
            }
            // A panic in argon2 (a bug): the workspace is gone, the sign-in fails.
            Err(_) => Ok(false),
        }
    }
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
