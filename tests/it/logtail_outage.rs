//! logtail and a Redis that dies mid-stream: buffered lines arrive after the
//! restart with no loss, and an overflowing buffer drops the oldest lines
//! and says exactly how many.

use salt_logview::wire::EventKind;

use crate::logtail_harness::{append, numbered, Env};

#[test]
fn lines_written_while_redis_is_down_arrive_after_the_restart() {
    let mut env = Env::new();
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    let (_, bytes) = numbered("before", 0, 100);
    append(&path, &bytes);
    env.wait_lines(&stream, 100);

    let t = _t;
    let read_before = rchar(t.pid());
    env.redis.kill();
    let (during, bytes) = numbered("during", 0, 1000);
    append(&path, &bytes);
    // Wait until the tailer has read (about) all of them while Redis is away,
    // so they reach the new server from its outage buffer: rchar counts every
    // byte the process reads, which with Redis gone is the file and inotify.
    let wrote = bytes.len() as u64;
    env.wait_until(
        "the tailer to read the lines written during the outage",
        || rchar(t.pid()) >= read_before + wrote,
    );
    env.redis.restart();
    // The old stream died with the server; the buffered lines are all there.
    assert_eq!(env.wait_lines(&stream, 1000), during);
    assert_eq!(env.count_events(&stream, EventKind::Dropped), 0);
}

#[test]
fn an_overflowing_outage_buffer_drops_the_oldest_lines_and_counts_them_exactly() {
    // A 16 KiB buffer and 1 KiB batches: the outage below cannot fit.
    let mut env = Env::with_config("buffer_max_bytes = 16384\nbatch_max_bytes = 1024");
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    append(&path, b"first\n");
    env.wait_lines(&stream, 1);

    let t = _t;
    let read_before = rchar(t.pid());
    env.redis.kill();
    let (during, bytes) = numbered("during", 0, 5000);
    // Written in several bursts so the tailer reads them while Redis is away.
    for chunk in bytes.chunks(bytes.len() / 10 + 1) {
        append(&path, chunk);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Wait until the tailer has read (about) everything while Redis is away;
    // whatever it reads after the restart is simply sent.
    let wrote = bytes.len() as u64;
    env.wait_until("the tailer to read the outage's lines", || {
        rchar(t.pid()) >= read_before + wrote
    });
    env.redis.restart();
    let ev = env.wait_event(&stream, EventKind::Dropped);
    assert_eq!(ev.get("reason"), Some("redis-outage"));
    let count: usize = ev.get("count").expect("count").parse().expect("number");
    let got = env.lines(&stream);
    assert!(
        count > 0,
        "the buffer was too small: something must have been dropped"
    );
    assert_eq!(
        count + got.len(),
        during.len(),
        "dropped + delivered = written, exactly"
    );
    // The newest lines are the ones kept.
    assert_eq!(got, during[count..]);
}

/// Bytes the process has read so far (files, sockets, inotify), from /proc.
fn rchar(pid: i32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("/proc/PID/io");
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("rchar")
}
