//! Process-wide counters and gauges of `logview`, rendered as Prometheus text
//! for `GET /metrics`: streams, viewers, lines/bytes out, drops, read groups
//! and their blocking Redis connections, Redis errors,
//! salt-api call latency and outcomes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the salt-api latency histogram buckets.
const SALT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct SaltStats {
    outcomes: BTreeMap<&'static str, u64>,
    buckets: [u64; SALT_BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

/// All metrics of one process. Cheap to update from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    streams_active: AtomicI64,
    viewers: AtomicI64,
    messages_out: AtomicU64,
    lines_out: AtomicU64,
    bytes_out: AtomicU64,
    dropped_lines: AtomicU64,
    reader_restarts: AtomicU64,
    read_groups: AtomicI64,
    blocking_connections: AtomicI64,
    redis_errors: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    salt: Mutex<BTreeMap<String, SaltStats>>,
}

impl Metrics {
    /// Fresh, all zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// A stream reader started.
    pub fn stream_opened(&self) {
        self.streams_active.fetch_add(1, Ordering::Relaxed);
    }

    /// A stream reader stopped.
    pub fn stream_closed(&self) {
        self.streams_active.fetch_sub(1, Ordering::Relaxed);
    }

    /// A viewer attached.
    pub fn viewer_attached(&self) {
        self.viewers.fetch_add(1, Ordering::Relaxed);
    }

    /// A viewer detached.
    pub fn viewer_detached(&self) {
        self.viewers.fetch_sub(1, Ordering::Relaxed);
    }

    /// One message of `lines` lines (events count 1) and `bytes` bytes was sent to a viewer.
    pub fn sent(&self, lines: u64, bytes: u64) {
        self.messages_out.fetch_add(1, Ordering::Relaxed);
        self.lines_out.fetch_add(lines, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A slow viewer skipped `lines` lines.
    pub fn dropped(&self, lines: u64) {
        self.dropped_lines.fetch_add(lines, Ordering::Relaxed);
    }

    /// A read group's reader lost its Redis connection and restarts.
    pub fn reader_restarted(&self) {
        self.reader_restarts.fetch_add(1, Ordering::Relaxed);
    }

    /// A read group's reader task started (its group got a stream).
    pub fn read_group_started(&self) {
        self.read_groups.fetch_add(1, Ordering::Relaxed);
    }

    /// A read group's reader task ended.
    pub fn read_group_ended(&self) {
        self.read_groups.fetch_sub(1, Ordering::Relaxed);
    }

    /// A read group opened its blocking Redis connection.
    pub fn blocking_connection_opened(&self) {
        self.blocking_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A read group closed (dropped) its blocking Redis connection.
    pub fn blocking_connection_closed(&self) {
        self.blocking_connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// A Redis command `op` failed with an error of `kind`.
    pub fn redis_error(&self, op: &'static str, kind: &'static str) {
        if let Ok(mut m) = self.redis_errors.lock() {
            *m.entry((op, kind)).or_default() += 1;
        }
    }

    /// One salt-api call of `function` (e.g. `file.file_exists`) ended with
    /// `outcome` (`ok`, `minion_unreachable`, `timeout`, …) after `elapsed`.
    pub fn record_salt_call(&self, function: &str, outcome: &'static str, elapsed: Duration) {
        let Ok(mut m) = self.salt.lock() else { return };
        let stats = m.entry(function.to_owned()).or_default();
        *stats.outcomes.entry(outcome).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        for (i, le) in SALT_BUCKETS.iter().enumerate() {
            if secs <= *le {
                stats.buckets[i] += 1;
            }
        }
        stats.count += 1;
        stats.sum_secs += secs;
    }

    /// Lines (and events) sent to viewers so far.
    pub fn lines_out(&self) -> u64 {
        self.lines_out.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let gauge = |out: &mut String, name: &str, help: &str, v: i64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        gauge(
            &mut out,
            "logview_streams_active",
            "Streams with a Redis reader in this process.",
            self.streams_active.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "logview_viewers",
            "Viewers attached (WebSocket and SSE).",
            self.viewers.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "logview_messages_out_total",
            "Messages sent to viewers.",
            self.messages_out.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "logview_lines_out_total",
            "Lines (events count one) sent to viewers.",
            self.lines_out.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "logview_bytes_out_total",
            "Bytes of JSON messages sent to viewers.",
            self.bytes_out.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "logview_dropped_lines_total",
            "Lines not sent to slow viewers (they got a dropped message).",
            self.dropped_lines.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "logview_reader_restarts_total",
            "Read groups whose reader lost Redis and reconnected.",
            self.reader_restarts.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "logview_read_groups",
            "Read groups with a reader task (one multi-key XREAD over their streams).",
            self.read_groups.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "logview_redis_blocking_connections",
            "Blocking Redis connections held by read groups (at most one per group, not one per stream).",
            self.blocking_connections.load(Ordering::Relaxed),
        );

        let _ = writeln!(out, "# HELP logview_redis_errors_total Failed Redis commands by command and error kind.\n# TYPE logview_redis_errors_total counter");
        if let Ok(m) = self.redis_errors.lock() {
            for ((op, kind), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "logview_redis_errors_total{{op=\"{}\",kind=\"{}\"}} {n}",
                    escape(op),
                    escape(kind)
                );
            }
        }

        let salt = self.salt.lock().map(|m| m.clone()).unwrap_or_default();
        let _ = writeln!(out, "# HELP logview_salt_calls_total salt-api calls by function and outcome (errors by kind).\n# TYPE logview_salt_calls_total counter");
        for (function, s) in &salt {
            for (outcome, n) in &s.outcomes {
                let _ = writeln!(
                    out,
                    "logview_salt_calls_total{{function=\"{}\",outcome=\"{}\"}} {n}",
                    escape(function),
                    escape(outcome)
                );
            }
        }
        let _ = writeln!(out, "# HELP logview_salt_call_duration_seconds salt-api call latency by function.\n# TYPE logview_salt_call_duration_seconds histogram");
        for (function, s) in &salt {
            let f = escape(function);
            for (le, n) in SALT_BUCKETS.iter().zip(s.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "logview_salt_call_duration_seconds_bucket{{function=\"{f}\",le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "logview_salt_call_duration_seconds_bucket{{function=\"{f}\",le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "logview_salt_call_duration_seconds_sum{{function=\"{f}\"}} {}",
                s.sum_secs
            );
            let _ = writeln!(
                out,
                "logview_salt_call_duration_seconds_count{{function=\"{f}\"}} {}",
                s.count
            );
        }
        out
    }
}

/// Escapes a Prometheus label value (`\`, `"`, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_the_salt_histogram() {
        let m = Metrics::new();
        m.stream_opened();
        m.viewer_attached();
        m.viewer_attached();
        m.viewer_detached();
        m.sent(3, 120);
        m.dropped(7);
        m.read_group_started();
        m.blocking_connection_opened();
        m.blocking_connection_opened();
        m.blocking_connection_closed();
        m.redis_error("xread", "io");
        m.record_salt_call("file.file_exists", "ok", Duration::from_millis(30));
        m.record_salt_call(
            "file.file_exists",
            "minion_unreachable",
            Duration::from_secs(2),
        );
        let text = m.render();
        for line in [
            "logview_streams_active 1",
            "logview_viewers 1",
            "logview_lines_out_total 3",
            "logview_bytes_out_total 120",
            "logview_dropped_lines_total 7",
            "logview_read_groups 1",
            "logview_redis_blocking_connections 1",
            "logview_redis_errors_total{op=\"xread\",kind=\"io\"} 1",
            "logview_salt_calls_total{function=\"file.file_exists\",outcome=\"ok\"} 1",
            "logview_salt_calls_total{function=\"file.file_exists\",outcome=\"minion_unreachable\"} 1",
            "logview_salt_call_duration_seconds_bucket{function=\"file.file_exists\",le=\"0.05\"} 1",
            "logview_salt_call_duration_seconds_bucket{function=\"file.file_exists\",le=\"2.5\"} 2",
            "logview_salt_call_duration_seconds_count{function=\"file.file_exists\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
