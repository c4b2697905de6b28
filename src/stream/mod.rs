//! The data plane: fans Redis streams out to browser viewers.
//!
//! * [`Hub`] keeps one Redis reader and one lease refresher per active stream
//!   per process, whatever the number of viewers, and enforces the limits.
//! * [`Subscription`] is one viewer: backlog first, then live, in id order,
//!   none twice; a viewer that falls `limits.viewer_queue` entries behind gets
//!   a `dropped` message instead of slowing anyone down.
//! * [`message`] is the browser wire protocol; [`access`] turns a viewer
//!   ticket and resume id into a checked stream to subscribe to.
//! * [`FleetFeed`] is one viewer of a fleet view: a subscription per member,
//!   merged by entry id and tagged with the minion ([`fleet_access`] checks it).

pub mod access;
mod backoff;
mod budget;
mod feed;
mod fleet;
pub mod fleet_access;
mod hub;
mod lease;
mod ledger;
mod merge;
pub mod message;
mod reader;
pub(crate) mod redis_io;
mod shared;
mod subscription;

pub use crate::wire::{BadEntryId, EntryId};
pub use feed::Feed;
pub use fleet::{FleetFeed, REORDER_WINDOW};
pub use hub::{Hub, HubError, READER_GRACE};
pub use ledger::ViewStart;
pub use redis_io::{connection_broke, idempotent, RedisIoError};
pub use subscription::{Outgoing, Step, Subscription};
