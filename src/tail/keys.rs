//! The key commands of a tailer besides the stream: `PTTL` of the lease
//! (read only), `EXPIRE` of the stream, `SET`/`GET`/`DEL` of its own owner
//! key: exactly what the tailer's Redis ACL user may do
//! (`scripts/lib/redis.sh`, `redis_tailer_acl`).

use std::time::Duration;

use redis::Value;

use super::error::Result;
use super::lease::LeaseState;
use super::publish::Publisher;
use crate::wire;

impl Publisher {
    /// What `PTTL <stream>:lease` says; `None` when Redis is away.
    pub fn lease_state(&mut self) -> Result<Option<LeaseState>> {
        let key = wire::lease_key(self.stream());
        Ok(match self.command(redis::cmd("PTTL").arg(&key))? {
            Some(Value::Int(-2)) => Some(LeaseState::Absent),
            Some(Value::Int(ms)) if ms >= 0 => {
                Some(LeaseState::Present(Some(Duration::from_millis(ms as u64))))
            }
            Some(_) => Some(LeaseState::Present(None)),
            None => None,
        })
    }

    /// Sets the stream's (and owner key's) expiry.
    pub fn expire(&mut self, secs: u64, owner: Option<&str>) -> Result<()> {
        self.command(redis::cmd("EXPIRE").arg(self.stream()).arg(secs))?;
        if let Some(value) = owner {
            let key = wire::owner_key(self.stream());
            self.command(redis::cmd("SET").arg(&key).arg(value).arg("EX").arg(secs))?;
        }
        Ok(())
    }

    /// The owner key's heartbeat: `SET <stream>:owner VALUE EX OWNER_TTL_SECS`.
    pub fn refresh_owner(&mut self, value: &str) -> Result<()> {
        let key = wire::owner_key(self.stream());
        self.command(
            redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("EX")
                .arg(wire::OWNER_TTL_SECS),
        )?;
        Ok(())
    }

    /// Deletes the owner key if it still names us.
    pub fn release_owner(&mut self, ours: &str) -> Result<()> {
        let key = wire::owner_key(self.stream());
        if let Some(Value::BulkString(v)) = self.command(redis::cmd("GET").arg(&key))? {
            if v == ours.as_bytes() {
                self.command(redis::cmd("DEL").arg(&key))?;
            }
        }
        Ok(())
    }
}
