//! logtail follow, positions and `--resume-at`: every `lines` entry names
//! where its last line ends in the file (`pos` = DEV:INODE:OFFSET); a tailer
//! started at the position of a killed one publishes exactly the lines the
//! killed one never did (no backlog, `started` says `resumed=1`); when the
//! file changed meanwhile it sends the backlog and says why (`resumed=0`).

use std::os::unix::fs::MetadataExt;

use salt_logview::wire::{field, Entry, EventKind, FilePos};

use crate::logtail_harness::{append, numbered, Env, Tailer};

/// The `pos` of the newest `lines` entry.
fn last_pos(env: &Env, stream: &str) -> Option<FilePos> {
    env.entries(stream).iter().rev().find_map(|e| match e {
        Entry::Lines { pos, .. } => *pos,
        Entry::Event(_) => None,
    })
}

/// Starts a follower resuming at `at` and waits for its `started`.
fn follow_resuming(env: &Env, path: &std::path::Path, at: FilePos) -> Tailer {
    let stream = env.stream(path);
    let before = env.count_events(&stream, EventKind::Started);
    let mut cmd = env.follow_cmd(path, 100, 0, 0);
    cmd.args(["--resume-at", &at.to_string()]);
    let t = Tailer::spawn(cmd);
    env.wait_until("the resumed started event", || {
        env.count_events(&stream, EventKind::Started) > before
    });
    t
}

#[test]
fn every_lines_entry_names_the_end_of_its_last_line() {
    let env = Env::new();
    let path = env.log("pos.log");
    let (_, bytes) = numbered("old", 0, 50);
    append(&path, &bytes);
    let _t = env.follow(&path, 20);
    let stream = env.stream(&path);
    env.wait_lines(&stream, 20);
    append(&path, b"live-1\nlive-2\npartial");
    env.wait_lines(&stream, 22);
    let meta = std::fs::metadata(&path).expect("stat");
    let want = FilePos {
        dev: meta.dev(),
        inode: meta.ino(),
        offset: meta.len() - "partial".len() as u64,
    };
    assert_eq!(
        last_pos(&env, &stream),
        Some(want),
        "not past the partial line"
    );
    // Each entry's position is its own last line's end.
    let text = std::fs::read(&path).expect("read");
    for e in env.entries(&stream) {
        if let Entry::Lines {
            lines,
            pos: Some(p),
            ..
        } = e
        {
            let end = p.offset as usize;
            let last = lines.last().expect("a line");
            let expect = format!("{last}\n");
            assert_eq!(&text[end - expect.len()..end], expect.as_bytes());
        }
    }
}

#[test]
fn a_tailer_resuming_a_killed_one_sends_exactly_the_lines_it_never_sent() {
    let env = Env::new();
    let path = env.log("resume.log");
    let (first, bytes) = numbered("a", 0, 10);
    append(&path, &bytes);
    let dead = env.follow(&path, 100);
    let stream = env.stream(&path);
    assert_eq!(env.wait_lines(&stream, 10), first);
    let at = last_pos(&env, &stream).expect("a position");
    dead.signal(libc::SIGKILL);
    let (gap, bytes) = numbered("gap", 0, 5);
    append(&path, &bytes);

    let _t = follow_resuming(&env, &path, at);
    let mut want = first.clone();
    want.extend(gap);
    assert_eq!(env.wait_lines(&stream, 15), want);
    let started = env
        .events(&stream)
        .into_iter()
        .rev()
        .find(|e| e.kind == EventKind::Started)
        .expect("started");
    assert_eq!(started.get(field::RESUMED), Some("1"));
    assert_eq!(started.get(field::BACKLOG), Some("0"));
    append(&path, b"after\n");
    want.push("after".into());
    assert_eq!(env.wait_lines(&stream, 16), want, "then live, once each");
}

#[test]
fn stop_replacing_makes_the_tailer_say_replaced() {
    let env = Env::new();
    let path = env.log("replacing.log");
    append(&path, b"x\n");
    let mut t = env.follow(&path, 10);
    let stream = env.stream(&path);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logtail"))
        .args(["stop", "--config"])
        .arg(&env.config)
        .arg("--replacing")
        .arg(&path)
        .output()
        .expect("run logtail stop --replacing");
    assert!(out.status.success(), "{out:?}");
    t.wait_exit();
    let stopped = env.wait_event(&stream, EventKind::Stopped);
    assert_eq!(stopped.get("reason"), Some("replaced"));
    // Without the flag: stop-command, as before.
    let mut u = env.follow(&path, 0);
    assert!(env.stop(&path).status.success());
    u.wait_exit();
    let reasons: Vec<String> = env
        .events(&stream)
        .into_iter()
        .filter(|e| e.kind == EventKind::Stopped)
        .filter_map(|e| e.get("reason").map(str::to_owned))
        .collect();
    assert_eq!(reasons, ["replaced", "stop-command"]);
}

#[test]
fn a_changed_file_falls_back_to_the_backlog_and_says_why() {
    let env = Env::new();
    let path = env.log("changed.log");
    let (_, bytes) = numbered("old", 0, 10);
    append(&path, &bytes);
    let dead = env.follow(&path, 100);
    let stream = env.stream(&path);
    env.wait_lines(&stream, 10);
    let at = last_pos(&env, &stream).expect("a position");
    dead.signal(libc::SIGKILL);
    // Rotated meanwhile: another inode under the name.
    std::fs::rename(&path, path.with_extension("1")).expect("rotate");
    let (fresh, bytes) = numbered("new", 0, 3);
    append(&path, &bytes);

    let _t = follow_resuming(&env, &path, at);
    let lines = env.wait_lines(&stream, 13);
    assert_eq!(lines[10..], fresh[..], "the new file's backlog");
    let started = env
        .events(&stream)
        .into_iter()
        .rev()
        .find(|e| e.kind == EventKind::Started)
        .expect("started");
    assert_eq!(started.get(field::RESUMED), Some("0"));
    assert_eq!(started.get(field::BACKLOG), Some("3"));
    assert!(
        started
            .get(field::RESUME)
            .is_some_and(|why| why.starts_with("file changed")),
        "{started:?}"
    );
}
