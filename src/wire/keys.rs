//! Key names: the stream of a followed file or of a command run, with its
//! hash-tag bucket, and the `:lease` / `:owner` keys beside it (same tag, same
//! Redis Cluster slot). The layout is described in `wire.rs`; why buckets in
//! docs/redis-cluster.md.

use super::fnv1a32;

/// How many hash-tag buckets the stream keys are spread over. Changing it
/// changes the key of (almost) every stream: running tailers, the Salt eauth
/// ACL and the Redis ACL patterns must be changed with it. At most 16: the
/// bucket is one hex digit (the eauth regex and the ACL globs rely on that).
pub const STREAM_BUCKETS: u32 = 16;

/// The bucket of a stream: FNV-1a-32 of `ident` modulo [`STREAM_BUCKETS`],
/// where `ident` is `<minion_id>:<log_path>` or `<minion_id>:cmd:<name>`.
pub fn stream_bucket(ident: &str) -> u32 {
    fnv1a32(ident.as_bytes()) % STREAM_BUCKETS
}

/// The hash tag of a bucket as it appears in keys: `{b0}` … `{bf}`.
fn bucket_tag(ident: &str) -> String {
    format!("{{b{:x}}}", stream_bucket(ident))
}

/// Key of the stream that carries the lines of `log_path` on `minion_id`:
/// `<prefix>:{bX}:<minion_id>:<log_path>`.
pub fn stream_key(prefix: &str, minion_id: &str, log_path: &str) -> String {
    let tag = bucket_tag(&format!("{minion_id}:{log_path}"));
    format!("{prefix}:{tag}:{minion_id}:{log_path}")
}

/// Key of the stream that carries the output of one run of a named command:
/// `<prefix>:{bX}:<minion_id>:cmd:<command>:<run_id>` (the bucket does not
/// depend on the run, so `command_stream_key(…, "")` is every run's prefix).
pub fn command_stream_key(prefix: &str, minion_id: &str, command: &str, run_id: &str) -> String {
    let tag = bucket_tag(&format!("{minion_id}:cmd:{command}"));
    format!("{prefix}:{tag}:{minion_id}:cmd:{command}:{run_id}")
}

/// The command name and run id of `key` if it is a command stream key of
/// `minion_id` under `prefix`, bucket tag included (the inverse of
/// [`command_stream_key`]); `None` otherwise.
pub fn parse_command_stream_key<'k>(
    prefix: &str,
    minion_id: &str,
    key: &'k str,
) -> Option<(&'k str, &'k str)> {
    let rest = key.strip_prefix(prefix)?.strip_prefix(':')?;
    let (tag, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix(minion_id)?.strip_prefix(":cmd:")?;
    let (command, run_id) = rest.rsplit_once(':')?;
    (tag == bucket_tag(&format!("{minion_id}:cmd:{command}"))).then_some((command, run_id))
}

/// How a command stream key of `minion_id` looks, for error messages.
pub fn command_stream_key_pattern(prefix: &str, minion_id: &str) -> String {
    format!("{prefix}:{{bX}}:{minion_id}:cmd:NAME:RUN_ID")
}

/// Key whose presence tells the tailer somebody is watching `stream`.
pub fn lease_key(stream: &str) -> String {
    format!("{stream}:lease")
}

/// Key naming the tailer that currently follows `stream` (host, pid, start).
pub fn owner_key(stream: &str) -> String {
    format!("{stream}:owner")
}

/// Key a logview replica holds (`SET NX PX`, a random token) while it starts
/// or shares the tailer of `stream`, so that replicas start one tailer per
/// stream between them (`session/start_claim.rs`). Same slot as `stream`.
pub fn start_claim_key(stream: &str) -> String {
    format!("{stream}:start")
}
