//! Redis stays bounded: a followed stream is trimmed by bytes
//! (`stream_max_bytes`) and by age (`stream_max_age_secs`) besides its entry
//! count, and when a full Redis (`maxmemory`, `noeviction`) refuses writes the
//! tailer reports exactly how many lines it had to drop, in words.

use redis::Connection;
use salt_logview::wire::{Entry, EventKind};

use crate::logtail_harness::{append, numbered, Env};

/// Bytes logtail counts for what the stream holds: text + 64 per lines
/// entry, message + 128 per event (`tail::item::Item::weight`).
fn weight(env: &Env, stream: &str) -> usize {
    env.entries(stream)
        .iter()
        .map(|e| match e {
            Entry::Lines { lines, .. } => lines.join("\n").len() + 64,
            Entry::Event(ev) => ev.message.len() + 128,
        })
        .sum()
}

#[test]
fn a_stream_is_trimmed_to_its_byte_budget_keeping_the_newest_lines() {
    const BUDGET: usize = 65_536;
    let env = Env::with_config(&format!(
        "stream_max_bytes = {BUDGET}\nbatch_max_bytes = 4096"
    ));
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    // 300 KB in a few bursts: over four times the budget.
    let mut all = Vec::new();
    for burst in 0..4 {
        let (lines, bytes) = numbered(&format!("{burst}-{}", "x".repeat(80)), 0, 750);
        append(&path, &bytes);
        all.extend(lines);
    }
    let last = all.last().cloned().expect("lines");
    env.wait_until("the last line and a trimmed stream", || {
        env.lines(&stream).contains(&last) && weight(&env, &stream) <= BUDGET + BUDGET / 8 + 4096
    });
    let got = env.lines(&stream);
    assert!(!got.contains(&all[0]), "the oldest lines were trimmed");
    assert!(
        weight(&env, &stream) >= BUDGET / 2,
        "not trimmed far below the budget"
    );
    assert_eq!(
        got[..],
        all[all.len() - got.len()..],
        "the newest lines, in order"
    );
}

#[test]
fn entries_older_than_the_age_limit_are_trimmed_while_the_tailer_runs() {
    let env = Env::with_config("stream_max_age_secs = 5\npoll_interval_ms = 100");
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    append(&path, b"old-1\nold-2\n");
    env.wait_lines(&stream, 2);
    // Nothing is written meanwhile: an idle tailer trims too.
    env.wait_until("the old lines to age out", || {
        !env.lines(&stream).iter().any(|l| l.starts_with("old"))
    });
    append(&path, b"new-1\n");
    env.wait_until("the new line", || env.lines(&stream) == ["new-1"]);
}

#[test]
fn the_age_limit_keeps_the_tailers_backlog_depth_of_newest_lines() {
    // `--lines 2`: the newest two lines stay however old they get, so a
    // viewer joining a quiet file late still finds its last lines.
    let env = Env::with_config("stream_max_age_secs = 5\npoll_interval_ms = 100");
    let path = env.log("quiet.log");
    append(&path, b"");
    let _t = env.follow(&path, 2);
    let stream = env.stream(&path);
    for (i, line) in ["old-1\n", "old-2\n", "old-3\n"].iter().enumerate() {
        append(&path, line.as_bytes());
        env.wait_lines(&stream, i + 1);
    }
    // The age trim removes what is beyond the two lines to keep, no more.
    env.wait_until("old-1 to age out", || {
        !env.lines(&stream).iter().any(|l| l == "old-1")
    });
    assert_eq!(env.lines(&stream), ["old-2", "old-3"]);
}

fn info_field(con: &mut Connection, section: &str, field: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg(section).query(con).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn config_set(con: &mut Connection, key: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(key)
        .arg(value)
        .query(con)
        .expect("CONFIG SET");
}

#[test]
fn lines_a_full_redis_refuses_are_counted_exactly_in_a_dropped_event() {
    const N: usize = 2000;
    let env = Env::with_config("buffer_max_bytes = 4096\nbatch_max_bytes = 1024");
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    // One admin connection for the whole outage (others would count as
    // connections below).
    let mut admin = env.redis.admin();
    config_set(&mut admin, "maxmemory-policy", "noeviction");
    config_set(&mut admin, "maxmemory", "1");
    let before = info_field(&mut admin, "stats", "total_connections_received");
    let (all, bytes) = numbered("full", 0, N);
    append(&path, &bytes);
    // Refused (OOM), the tailer backs off and reconnects: three reconnects
    // mean it has long read the file and dropped what its queue cannot hold.
    env.wait_until("the tailer to retry a full Redis three times", || {
        info_field(&mut admin, "stats", "total_connections_received") >= before + 3
    });
    config_set(&mut admin, "maxmemory", "0");
    let dropped = |env: &Env| -> u64 {
        env.events(&stream)
            .iter()
            .filter(|e| e.kind == EventKind::Dropped && e.get("reason") == Some("redis-full"))
            .filter_map(|e| e.get("count").and_then(|c| c.parse::<u64>().ok()))
            .sum()
    };
    env.wait_until("every line delivered or counted", || {
        env.lines(&stream).len() as u64 + dropped(&env) == N as u64
    });
    let got = env.lines(&stream);
    assert!(
        dropped(&env) > 0,
        "the queue bound was exceeded: lines were dropped"
    );
    assert_eq!(
        got[..],
        all[N - got.len()..],
        "the newest lines, in order, once"
    );
    let ev = env.wait_event(&stream, EventKind::Dropped);
    assert!(
        ev.message
            .contains("Redis was full (maxmemory reached) and refused them"),
        "{}",
        ev.message
    );
}
