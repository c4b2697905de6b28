//! The one integration-test binary. Each module tests one boundary against the
//! real stack (`scripts/test.sh` brings it up and sets `SLV_STACK_ENV`).

mod stream_budget;
mod stream_fleet;
/// Many streams, one blocking read per read group (CLIENT LIST on a private Redis).
mod stream_groups;
mod stream_health;
mod stream_lease;
mod stream_sse;
/// Fixtures of the stream_* tests.
mod stream_support;
mod stream_ws;
/// Shared helpers: the stack's coordinates, spawning processes.
mod support;

/// Helpers of the api_* modules: logview in-process, Redis, /proc.
mod api_support;

/// POST /api/tail: the Django flow, WebSocket order, one tailer, idle exit, local mode.
mod api_tail;

/// 中文 and English: API errors and pages in the asked language.
mod api_i18n;
/// A second and third POST share the running tailer; stale tailers are replaced.
mod tail_resume;
mod tail_sharing;

/// logview as replicas: one tailer for concurrent starts on two, tickets,
/// resume and ops-page forms across them.
mod replicas;

/// Drills against the replica stack (`up --replicas N`; skipped without):
/// a replica killed under viewers, nginx reloaded and restarted.
mod drill_nginx;
mod drill_replica;
mod drill_support;
mod drill_viewers;

/// Every bad input answered clearly with nothing started.
mod api_input;

/// POST /api/run: a named command's stdout, stderr and exit status.
mod api_run;

/// The terminal client (`logview tail`, `logview run`): the real binary, piped.
mod cli;
/// The terminal client's fleet stream resumed per minion against the real `/sse/fleet/`.
mod cli_fleet;
/// `logview tail @TARGET:PATH` / `MINION,MINION:PATH` through the real fleet start.
mod cli_fleet_start;

/// salt-api down/restarted and a stopped minion, on private processes.
mod api_salt;

/// Control-plane Redis commands after a Redis restart, on a private redis-server.
mod redis_restart;

/// logtail: the shared fixture, then one module per area.
mod logtail_exec;
mod logtail_follow;
mod logtail_harness;
mod logtail_lifecycle;
mod logtail_outage;
/// logtail follow --resume-at: positions in lines entries, resume or fall back.
mod logtail_resume;
/// Redis stays bounded: byte and age trimming, a full Redis counted in `dropped`.
mod logtail_retention;
mod logtail_rotation;
/// logtail never reads outside the allow-list: symlink/directory swaps, FIFOs, legit links.
mod logtail_symlink;

/// Redis Cluster stack only: ACLs on every node, and a master killed mid-stream.
mod drill_redis_failover;

/// Redis ACL users from one definition: the tailer only appends and touches its own keys.
mod redis_acl;

/// saltgate: every known bypass of the eauth ACL refused by the gate.
mod gate_refusals;

/// The audit trail (who asked) and logview's settings without a Salt password.
mod gate_acl_disagree;
mod gate_audit;

/// The logview eauth user's Salt ACL: the calls of docs/salt-acl.md pass, nothing near them.
mod salt_acl;

/// The ops pages of the fleet view: the target picker and `/targets/{name}`.
mod fleet_pages;
/// Fleet starts with a stale member (replaced on its own) and a refusing one.
mod fleet_stale;
/// The fleet start (issue 11): targets, list calls, per-minion outcomes.
mod fleet_start;
/// logtail distributed by the Salt state through salt-api as the deploy user.
mod stack_deploy;
/// The stack's minions (MINION_IDS): each tails its own files; one stopped
/// with `scripts/stack.sh minion stop` is a 504 naming it, then comes back.
mod stack_minions;
