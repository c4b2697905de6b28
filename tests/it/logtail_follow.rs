//! logtail follow, the data path: backlog of the last N lines (small and
//! large files), live appends, partial lines, long lines, invalid UTF-8, CRLF.

use salt_logview::wire::{self, Entry, EventKind};

use crate::logtail_harness::{append, numbered, Env};

#[test]
fn the_backlog_is_the_last_n_lines_after_a_started_event() {
    let env = Env::new();
    let path = env.log("app.log");
    let (_, bytes) = numbered("old", 0, 1000);
    append(&path, &bytes);
    let _t = env.follow(&path, 10);
    let stream = env.stream(&path);
    let (want, _) = numbered("old", 990, 1000);
    assert_eq!(env.wait_lines(&stream, 10), want);
    let entries = env.entries(&stream);
    match &entries[0] {
        Entry::Event(ev) => {
            assert_eq!(ev.kind, EventKind::Started);
            assert_eq!(ev.get("size"), Some(bytes.len().to_string().as_str()));
            assert!(
                ev.get("host").is_some() && ev.get("pid").is_some() && ev.get("inode").is_some()
            );
        }
        other => panic!("first entry is not `started`: {other:?}"),
    }
}

#[test]
fn a_backlog_larger_than_the_file_sends_everything_and_zero_sends_nothing() {
    let env = Env::new();
    let small = env.log("small.log");
    append(&small, b"a\nb\n");
    let _t = env.follow(&small, 100);
    assert_eq!(env.wait_lines(&env.stream(&small), 2), vec!["a", "b"]);

    let none = env.log("none.log");
    append(&none, b"x\ny\n");
    let _u = env.follow(&none, 0);
    append(&none, b"live\n");
    assert_eq!(env.wait_lines(&env.stream(&none), 1), vec!["live"]);
}

#[test]
fn a_200_mb_file_backlog_reads_only_its_end() {
    let env = Env::new();
    let path = env.log("big.log");
    // 200 MB of hole, then lines: the tail must not read the hole.
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(200 << 20).expect("sparse");
    drop(f);
    append(&path, b"\n");
    let (_, bytes) = numbered("end", 0, 5000);
    append(&path, &bytes);
    let mut t = env.follow(&path, 100);
    let (want, _) = numbered("end", 4900, 5000);
    assert_eq!(env.wait_lines(&env.stream(&path), 100), want);
    // Bytes read by the tailer (file + socket), from /proc: far below 200 MB.
    let io = std::fs::read_to_string(format!("/proc/{}/io", t.pid())).expect("/proc/PID/io");
    let rchar: u64 = io
        .lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("rchar");
    assert!(
        rchar < 8 << 20,
        "the tailer read {rchar} bytes for a 100-line backlog"
    );
    assert!(t.running());
}

#[test]
fn appended_lines_arrive_in_order_and_a_partial_line_waits_for_its_newline() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 10);
    let stream = env.stream(&path);
    let (want, bytes) = numbered("live", 0, 500);
    append(&path, &bytes);
    assert_eq!(env.wait_lines(&stream, 500), want);

    append(&path, b"first half, ");
    append(&path, b"marker\n");
    append(&path, b"next\n");
    let got = env.wait_lines(&stream, 502);
    assert_eq!(&got[500..], ["first half, marker", "next"]);

    // A half line alone is never published: after a full line that follows
    // it is in, it must be joined to its second half.
    append(&path, b"held ");
    append(&path, b"back\nafter\n");
    let got = env.wait_lines(&stream, 504);
    assert_eq!(&got[502..], ["held back", "after"]);
}

#[test]
fn a_1_mib_line_is_cut_and_marked_and_the_next_line_is_intact() {
    let env = Env::new();
    let path = env.log("long.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let mut long = vec![b'x'; 1 << 20];
    long.push(b'\n');
    append(&path, &long);
    append(&path, b"short\n");
    let stream = env.stream(&path);
    let got = env.wait_lines(&stream, 2);
    let cut = wire::CUT_MARKER_PREFIX;
    let want = format!("{}{cut}{} bytes]", "x".repeat(65_536), (1 << 20) - 65_536);
    assert_eq!(got[0].len(), want.len());
    assert_eq!(got[0], want);
    assert_eq!(got[1], "short");
    let cut_count: u32 = env
        .entries(&stream)
        .iter()
        .map(|e| match e {
            Entry::Lines { cut, .. } => *cut,
            Entry::Event(_) => 0,
        })
        .sum();
    assert_eq!(cut_count, 1, "the entry counts the cut line");
}

#[test]
fn invalid_utf8_is_replaced_and_crlf_is_stripped() {
    let env = Env::new();
    let path = env.log("bin.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    append(&path, b"bad \xff\xfe bytes\nwindows\r\nlast\n");
    let got = env.wait_lines(&env.stream(&path), 3);
    assert_eq!(got, ["bad \u{fffd}\u{fffd} bytes", "windows", "last"]);
}

#[test]
fn the_rate_limit_drops_excess_lines_and_counts_them_exactly() {
    let env = Env::with_config("rate_limit_lines_per_sec = 100");
    let path = env.log("noisy.log");
    // The backlog is exempt from the limit.
    let (backlog, bytes) = numbered("backlog", 0, 300);
    append(&path, &bytes);
    let _t = env.follow(&path, 300);
    let stream = env.stream(&path);
    assert_eq!(env.wait_lines(&stream, 300), backlog);
    // A burst of 1000 lines: one second's worth passes, the rest is counted.
    let (_, bytes) = numbered("burst", 0, 1000);
    append(&path, &bytes);
    let accounted = || {
        let passed = env.lines(&stream).len() - 300;
        let dropped: usize = env
            .events(&stream)
            .iter()
            .filter(|e| e.kind == EventKind::Dropped)
            .map(|e| {
                assert_eq!(e.get("reason"), Some("rate-limit"));
                e.get("count")
                    .and_then(|c| c.parse::<usize>().ok())
                    .expect("count")
            })
            .sum();
        (passed, dropped)
    };
    env.wait_until("every burst line passed or counted", || {
        let (p, d) = accounted();
        p + d == 1000
    });
    let (passed, dropped) = accounted();
    assert!(
        passed >= 100 && dropped > 0,
        "passed {passed}, dropped {dropped}"
    );
    // The lines that passed are burst lines, in order, none twice.
    let got = env.lines(&stream);
    let (burst, _) = numbered("burst", 0, 1000);
    let mut from = 0;
    for line in &got[300..] {
        let at = burst[from..]
            .iter()
            .position(|b| b == line)
            .expect("a burst line, in order");
        from += at + 1;
    }
}
