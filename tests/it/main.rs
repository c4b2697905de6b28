//! The one integration-test binary. Each module tests one boundary against the
//! real stack (`scripts/test.sh` brings it up and sets `SLV_STACK_ENV`).

mod stream_health;
mod stream_lease;
mod stream_sse;
/// Fixtures of the stream_* tests.
mod stream_support;
mod stream_ws;
/// Shared helpers: the stack's coordinates, spawning processes.
mod support;

/// logtail distributed by the Salt state through salt-api; the eauth ACLs.
mod stack_deploy;
