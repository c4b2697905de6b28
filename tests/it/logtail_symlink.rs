//! logtail never reads outside the allow-list, whatever the name turns into
//! while it is followed: a symlink swapped in at rotation, a directory of the
//! path swapped for a symlink, a FIFO at the path (which must not hang it);
//! and legitimate symlinks keep working, followed by name like `tail -F`.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use salt_logview::wire::EventKind;

use crate::logtail_harness::{append, numbered, Env, Tailer};

/// A file outside the allow-list (which is `<root>/logs/**`).
fn canary(env: &Env, name: &str) -> PathBuf {
    let dir = env.dir.path().canonicalize().expect("root").join("outside");
    std::fs::create_dir_all(&dir).expect("outside dir");
    let p = dir.join(name);
    append(&p, b"CANARY outside the allow-list\n");
    p
}

/// Points `link` at `to` atomically (symlink beside it, then rename), as
/// `ln -sfn` and deploy tools do.
fn retarget(link: &Path, to: &Path) {
    let tmp = link.with_extension("tmp-link");
    symlink(to, &tmp).expect("symlink");
    std::fs::rename(&tmp, link).expect("rename over the link");
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).expect("c path");
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

fn no_canary(env: &Env, stream: &str) {
    let lines = env.lines(stream);
    assert!(
        !lines.iter().any(|l| l.contains("CANARY")),
        "a file outside the allow-list was streamed: {lines:?}"
    );
}

/// The refusal event: a `missing` event with a reason, in words, that does
/// not reveal where the link points.
fn wait_refusal(env: &Env, stream: &str, reason: &str) -> String {
    let mut said = String::new();
    env.wait_until(&format!("a missing event with reason {reason}"), || {
        let found = env
            .events(stream)
            .into_iter()
            .find(|e| e.kind == EventKind::Missing && e.get("reason").is_some_and(|r| r == reason));
        if let Some(e) = found {
            said = e.message;
        }
        !said.is_empty()
    });
    assert!(!said.contains("outside/"), "the target leaked: {said}");
    said
}

#[test]
fn a_symlink_to_an_outside_file_swapped_in_at_rotation_is_never_streamed() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"before\n");
    let _t = env.follow(&path, 10);
    let stream = env.stream(&path);
    env.wait_lines(&stream, 1);
    let outside = canary(&env, "canary.txt");
    std::fs::rename(&path, env.log("app.log.1")).expect("rotate");
    symlink(&outside, &path).expect("symlink to the canary");
    append(&outside, b"CANARY appended later\n");
    let said = wait_refusal(&env, &stream, "not-allowed");
    assert!(
        said.contains(&format!(
            "{} now points outside the allowed paths; not followed",
            path.display()
        )),
        "{said}"
    );
    // The name becomes a real file again: followed from its start.
    std::fs::remove_file(&path).expect("rm link");
    append(&path, b"after\n");
    env.wait_event(&stream, EventKind::Reappeared);
    assert_eq!(env.wait_lines(&stream, 2), ["before", "after"]);
    no_canary(&env, &stream);
}

#[test]
fn a_retargeted_symlink_switches_to_its_new_target_and_stops_by_name() {
    let env = Env::new();
    let (a, b) = (env.log("a.log"), env.log("b.log"));
    append(&a, b"a-1\n");
    append(&b, b"b-old\n");
    let cur = env.log("current.log");
    symlink("a.log", &cur).expect("symlink");
    let mut t = Tailer::spawn(env.follow_cmd(&cur, 10, 0, 0));
    let stream = env.stream(&cur);
    env.wait_lines(&stream, 1);
    retarget(&cur, Path::new("b.log"));
    env.wait_event(&stream, EventKind::Rotated);
    append(&a, b"a-2 (no longer the target)\n");
    append(&b, b"b-1\n");
    let got = env.wait_lines(&stream, 3);
    assert_eq!(got, ["a-1", "b-old", "b-1"]);
    // One tailer per name: `stop` of the name finds it after the retarget.
    let out = env.stop(&cur);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.wait_exit().success());
    let stopped = env.wait_event(&stream, EventKind::Stopped);
    assert_eq!(stopped.get("reason"), Some("stop-command"));
    assert_eq!(env.lines(&stream), ["a-1", "b-old", "b-1"]);
}

#[test]
fn a_fifo_at_the_path_is_refused_at_start_instead_of_hanging() {
    let env = Env::new();
    let path = env.log("app.log");
    mkfifo(&path);
    let mut t = Tailer::spawn(env.follow_cmd(&path, 10, 0, 0));
    let status = t.wait_exit();
    assert_eq!(status.code(), Some(4), "{}", t.stderr());
    let stopped = env.wait_event(&env.stream(&path), EventKind::Stopped);
    assert_eq!(stopped.get("reason"), Some("error"));
    assert!(
        stopped
            .message
            .contains("not a regular file (it is a FIFO)"),
        "{}",
        stopped.message
    );
}

#[test]
fn a_fifo_replacing_the_followed_file_is_reported_and_the_tailer_stays_responsive() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"one\n");
    let mut t = Tailer::spawn(env.follow_cmd(&path, 10, 0, 0));
    let stream = env.stream(&path);
    env.wait_lines(&stream, 1);
    std::fs::remove_file(&path).expect("rm");
    mkfifo(&path);
    let said = wait_refusal(&env, &stream, "not-regular");
    assert!(said.contains("a FIFO"), "{said}");
    // Not stuck in open(): it answers a stop request.
    let out = env.stop(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.wait_exit().success());
    assert_eq!(
        env.wait_event(&stream, EventKind::Stopped).get("reason"),
        Some("stop-command")
    );
}

#[test]
fn a_directory_of_the_path_swapped_for_a_symlink_out_of_the_allow_list_is_refused() {
    let env = Env::new();
    let app = env.log("app");
    std::fs::create_dir(&app).expect("app dir");
    let path = app.join("x.log");
    append(&path, b"inside\n");
    let mut t = Tailer::spawn(env.follow_cmd(&path, 10, 0, 0));
    let stream = env.stream(&path);
    env.wait_lines(&stream, 1);
    let outside = canary(&env, "x.log");
    std::fs::rename(&app, env.log("app.old")).expect("move the directory away");
    symlink(outside.parent().expect("outside dir"), &app).expect("dir symlink");
    wait_refusal(&env, &stream, "not-allowed");
    append(&outside, b"CANARY appended later\n");
    let out = env.stop(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.wait_exit().success());
    env.wait_event(&stream, EventKind::Stopped);
    assert_eq!(env.lines(&stream), ["inside"]);
    no_canary(&env, &stream);
}

#[test]
fn a_symlink_to_a_file_inside_the_allow_list_is_followed_through_its_rotation() {
    let env = Env::new();
    let real_dir = env.log("real");
    std::fs::create_dir(&real_dir).expect("real dir");
    let target = real_dir.join("app.log");
    let (first, bytes) = numbered("first", 0, 20);
    append(&target, &bytes);
    let link = env.log("app.log");
    symlink(&target, &link).expect("symlink");
    let _t = env.follow(&link, 5);
    let stream = env.stream(&link);
    assert_eq!(env.wait_lines(&stream, 5), first[15..]);
    // The target is rotated by rename; the link now resolves to the new file.
    std::fs::rename(&target, real_dir.join("app.log.1")).expect("rotate");
    let (second, bytes) = numbered("second", 0, 10);
    append(&target, &bytes);
    env.wait_event(&stream, EventKind::Rotated);
    let got = env.wait_lines(&stream, 15);
    assert_eq!(got[5..], second[..]);
    let refused = env
        .events(&stream)
        .into_iter()
        .any(|e| e.kind == EventKind::Missing);
    assert!(!refused, "a legitimate symlink was refused");
}
