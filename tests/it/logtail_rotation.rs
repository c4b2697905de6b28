//! logtail follow across file changes: rename rotation, copytruncate,
//! deletion and re-creation, and a seeded random sequence checked against a
//! model (exact without truncations, bounded with them).

use salt_logview::wire::EventKind;

use crate::logtail_harness::{append, numbered, wait_until, Env};

#[test]
fn rename_rotation_drains_the_old_file_then_follows_the_new_one() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    let (a, bytes) = numbered("before", 0, 100);
    append(&path, &bytes);
    env.wait_lines(&stream, 100);
    // The writer still writes to the old file after the rename…
    std::fs::rename(&path, env.log("app.log.1")).expect("rename");
    let (b, bytes) = numbered("late", 0, 50);
    append(&env.log("app.log.1"), &bytes);
    // …then the new file appears.
    let (c, bytes) = numbered("after", 0, 100);
    append(&path, &bytes);
    let got = env.wait_lines(&stream, 250);
    let want: Vec<String> = a.into_iter().chain(b).chain(c).collect();
    assert_eq!(got, want);
    let ev = env.wait_event(&stream, EventKind::Rotated);
    assert!(ev.get("inode").is_some() && ev.get("from_inode").is_some());
}

#[test]
fn copytruncate_restarts_at_zero_with_a_truncated_event() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    let (_, bytes) = numbered("one", 0, 100);
    append(&path, &bytes);
    env.wait_lines(&stream, 100);
    std::fs::copy(&path, env.log("app.log.1")).expect("copy");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    env.wait_event(&stream, EventKind::Truncated);
    append(&path, b"fresh\n");
    let got = env.wait_lines(&stream, 101);
    assert_eq!(got[100], "fresh");
}

#[test]
fn a_deleted_file_is_missing_then_reappears_and_is_read_from_the_start() {
    let env = Env::new();
    let path = env.log("app.log");
    append(&path, b"one\n");
    let _t = env.follow(&path, 10);
    let stream = env.stream(&path);
    env.wait_lines(&stream, 1);
    std::fs::remove_file(&path).expect("rm");
    env.wait_event(&stream, EventKind::Missing);
    append(&path, b"two\nthree\n");
    env.wait_event(&stream, EventKind::Reappeared);
    assert_eq!(env.wait_lines(&stream, 3), ["one", "two", "three"]);
    let kinds: Vec<EventKind> = env.events(&stream).iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Started,
            EventKind::Missing,
            EventKind::Reappeared
        ]
    );
}

/// A tiny deterministic PRNG (xorshift64*): the sequence is reproducible
/// from the seed printed on failure.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Write(usize),
    Rotate,
    Truncate,
    Delete,
    /// Wait until the tailer has caught up with the model.
    Settle,
}

/// Runs a seeded random action sequence against the real tailer and checks
/// what it published against the lines written (the model).
fn run_model(seed: u64, truncations: bool) {
    let env = Env::new();
    let path = env.log("model.log");
    append(&path, b"");
    let _t = env.follow(&path, 0);
    let stream = env.stream(&path);
    let mut rng = Rng(seed);
    let mut written: Vec<String> = Vec::new();
    // Lines seen whole in the stream at a catch-up point: they must stay.
    let mut must: Vec<String> = Vec::new();
    let mut next = 0usize;
    let mut rotations = 0;
    let mut exists = true;
    let mut actions = Vec::new();
    // Following by name means a successor file must be seen before it is
    // itself renamed or deleted (a tail -F limit): catch up before those.
    let mut catch_up = |written: &[String], actions: &[Action]| {
        let Some(last) = written.last() else { return };
        wait_until(
            &format!("seed {seed}: catch up to {last} after {actions:?}"),
            || {
                env.lines(&stream)
                    .last()
                    .is_some_and(|l| last.ends_with(l.as_str()))
            },
        );
        if env.lines(&stream).last() == Some(last) {
            must.push(last.clone());
        }
    };
    for _ in 0..60 {
        let action = match rng.below(100) {
            0..=59 => Action::Write(1 + rng.below(40) as usize),
            60..=69 => Action::Rotate,
            70..=77 if truncations => Action::Truncate,
            78..=83 => Action::Delete,
            _ => Action::Settle,
        };
        actions.push(action);
        match action {
            Action::Write(n) => {
                let (lines, bytes) = numbered(&format!("s{seed}"), next, next + n);
                next += n;
                append(&path, &bytes);
                written.extend(lines);
                exists = true;
            }
            Action::Rotate if exists => {
                catch_up(&written, &actions);
                rotations += 1;
                std::fs::rename(&path, env.log(&format!("model.log.{rotations}"))).expect("rotate");
                exists = false;
            }
            Action::Truncate if exists => {
                catch_up(&written, &actions);
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .expect("open")
                    .set_len(0)
                    .expect("truncate");
            }
            Action::Delete if exists => {
                catch_up(&written, &actions);
                std::fs::remove_file(&path).expect("delete");
                exists = false;
            }
            Action::Settle | Action::Rotate | Action::Truncate | Action::Delete => {
                catch_up(&written, &actions);
            }
        }
    }
    let total = written.len();
    if truncations {
        // Bounded (an undetected truncation can skip data or start reading
        // mid-line): never more lines than written, every line is a written
        // line or the tail of one, whole lines keep their order, and every
        // line seen at a catch-up point is there.
        let end_marker = format!("s{seed}-end");
        append(&path, format!("{end_marker}\n").as_bytes());
        wait_until(&format!("seed {seed}: end marker"), || {
            env.lines(&stream).last() == Some(&end_marker)
        });
        let mut got = env.lines(&stream);
        got.pop();
        assert!(
            got.len() <= total,
            "seed {seed}: {} lines seen, {total} written",
            got.len()
        );
        let mut last_index = None;
        for line in &got {
            match written.iter().position(|w| w == line) {
                Some(i) => {
                    assert!(
                        last_index < Some(i),
                        "seed {seed}: {line:?} out of order ({actions:?})"
                    );
                    last_index = Some(i);
                }
                None => assert!(
                    written.iter().any(|w| w.ends_with(line.as_str())),
                    "seed {seed}: {line:?} was never written ({actions:?})"
                ),
            }
        }
        for line in &must {
            assert!(
                got.contains(line),
                "seed {seed}: {line:?} vanished ({actions:?})"
            );
        }
        assert!(
            !must.is_empty(),
            "seed {seed}: the sequence had no catch-up point"
        );
    } else {
        let got = env.wait_lines(&stream, total);
        assert_eq!(got, written, "seed {seed}: actions {actions:?}");
    }
}

#[test]
fn a_random_rotate_delete_append_sequence_matches_the_model_exactly() {
    for seed in [0x5eed_0001_u64, 0x5eed_0002] {
        run_model(seed, false);
    }
}

#[test]
fn with_truncations_the_lines_seen_are_bounded_by_the_model() {
    for seed in [0x7a11_0001_u64, 0x7a11_0002] {
        run_model(seed, true);
    }
}
