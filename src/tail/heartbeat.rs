//! A running follower's keys besides the stream: the owner key's heartbeat
//! (refreshed every [`OWNER_REFRESH_SECS`], lapsing [`crate::wire::OWNER_TTL_SECS`]
//! after the tailer died, which is how logview tells a tailer it may share
//! from a stale one) and the running stream's expiry, pushed back every
//! [`EXPIRE_REFRESH`].

use std::time::{Duration, Instant};

use super::error::Result;
use super::owner::Owner;
use super::publish::Publisher;
use crate::wire::OWNER_REFRESH_SECS;

/// How often the running stream's expiry is pushed back.
const EXPIRE_REFRESH: Duration = Duration::from_secs(60);

/// When the owner key and the stream's expiry are next due.
#[derive(Debug)]
pub struct Heartbeat {
    owner: Owner,
    /// Whether the owner key says `live` (the backlog is all in Redis).
    live: bool,
    /// The backlog is read: say `live` once Redis has all of it.
    live_pending: bool,
    stream_expire_secs: u64,
    next_owner: Instant,
    next_expire: Instant,
}

impl Heartbeat {
    /// Both due now, for the tailer `owner`.
    pub fn new(owner: Owner, stream_expire_secs: u64, now: Instant) -> Heartbeat {
        Heartbeat {
            owner,
            live: false,
            live_pending: false,
            stream_expire_secs,
            next_owner: now,
            next_expire: now,
        }
    }

    /// This tailer.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// The owner key's value now.
    pub fn value(&self) -> String {
        self.owner.value(self.live)
    }

    /// The whole backlog has been read and queued: the owner key says
    /// `live` as soon as Redis has every entry queued so far (now, or at a
    /// later tick after an outage), never before.
    pub fn backlog_read(&mut self, publisher: &mut Publisher) -> Result<()> {
        if !self.live {
            self.live_pending = true;
            publisher.sync()?;
            self.mark_live_if_sent(publisher)?;
        }
        Ok(())
    }

    fn mark_live_if_sent(&mut self, publisher: &mut Publisher) -> Result<()> {
        if self.live_pending && publisher.is_connected() && publisher.all_sent() {
            self.live = true;
            self.live_pending = false;
            publisher.refresh_owner(&self.value())?;
        }
        Ok(())
    }

    /// Refreshes what is due (everything after a reconnect: Redis may have
    /// lost the keys); a refresh Redis did not take is retried next tick.
    pub fn tick(&mut self, publisher: &mut Publisher, now: Instant) -> Result<()> {
        let reconnected = publisher.reconnected;
        if !publisher.is_connected() {
            return Ok(());
        }
        self.mark_live_if_sent(publisher)?;
        if now >= self.next_owner || reconnected {
            publisher.refresh_owner(&self.value())?;
            self.next_owner = now + Duration::from_secs(OWNER_REFRESH_SECS);
        }
        if now >= self.next_expire || reconnected {
            let running_ttl = self.stream_expire_secs + 2 * EXPIRE_REFRESH.as_secs();
            publisher.expire(running_ttl, None)?;
            publisher.reconnected = false;
            self.next_expire = now + EXPIRE_REFRESH;
        }
        Ok(())
    }
}
