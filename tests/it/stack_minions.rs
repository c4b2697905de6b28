//! The stack's fleet of real minions (`MINION_IDS`): each answers through the
//! stack's saltgate with its OWN files (every minion sees its log dir at the
//! same path, `LOG_DIR`; on this host it is `LOG_DIR_<id>`), and one made
//! unreachable with `scripts/stack.sh minion stop` is a clear 504 naming it
//! while the others keep working, until `minion start` brings it back.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::api_support::*;
use crate::support::stack::stack;

const WAIT: Duration = Duration::from_secs(60);
/// The minion this module and `fleet_start` stop and start again (no other test does).
pub const STOPPED: &str = "web-03";

/// Held by each test that stops `STOPPED` or needs every minion answering
/// (this module's and `fleet_start`'s): the tests of one binary run in parallel.
pub static FLEET: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn minion_ids() -> Vec<String> {
    stack()
        .get("MINION_IDS")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Where minion `id` sees a file of its log dir, and where that file is on this host.
pub fn minion_file(id: &str, name: &str) -> (String, PathBuf) {
    let seen = format!("{}/{name}", stack().get("LOG_DIR"));
    let host = stack().path(&format!("LOG_DIR_{id}")).join(name);
    (seen, host)
}

/// `scripts/stack.sh minion VERB ID --name PROFILE`, as an operator runs it.
pub fn stack_minion(verb: &str, id: &str) {
    let profile = stack()
        .path("STACK_DIR")
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .expect("STACK_DIR names the profile");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/stack.sh");
    let out = Command::new(script)
        .args(["minion", verb, id, "--name", &profile])
        .output()
        .expect("run scripts/stack.sh");
    assert!(
        out.status.success(),
        "scripts/stack.sh minion {verb} {id} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the stopped minion again however the test ends (a failed assert
/// must not leave the stack with a minion down for the other tests).
pub struct StartAgain(pub &'static str);

impl Drop for StartAgain {
    fn drop(&mut self) {
        stack_minion("start", self.0);
    }
}

/// Tails `seen` on `id` through `app` and waits until `want` is in its stream;
/// returns every line of the stream.
async fn tail_until(app: &TestApp, id: &str, seen: &str, want: &str) -> Vec<String> {
    app.tail(id, seen, json!(20)).await.url();
    let stream = app.stream_of(id, seen);
    eventually(WAIT, async || {
        let lines = lines_of(&entries(&stream).await);
        lines.iter().any(|l| l.contains(want)).then_some(lines)
    })
    .await
    .unwrap_or_else(|| panic!("{want:?} did not reach {stream}"))
}

#[tokio::test]
async fn every_minion_tails_its_own_app_log() {
    let _fleet = FLEET.lock().await;
    let ids = minion_ids();
    assert!(
        ids.len() >= 3,
        "the stack runs at least three minions: {ids:?}"
    );
    assert_eq!(ids[0], stack().get("MINION_ID"), "web-01 comes first");
    let app = spawn_app(&[]).await;
    let u = unique();
    for id in &ids {
        let (seen, host) = minion_file(id, "app.log");
        append(&host, &[format!("stack_minions {u} minion {id}")]);
        let lines = tail_until(&app, id, &seen, &format!("{u} minion {id}")).await;
        for other in ids.iter().filter(|o| *o != id) {
            assert!(
                !lines
                    .iter()
                    .any(|l| l.ends_with(&format!("minion {other}"))),
                "{id}'s app.log holds a line of {other}: {lines:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_minion_stopped_by_the_script_is_a_504_naming_it_and_comes_back() {
    let _fleet = FLEET.lock().await;
    assert!(
        minion_ids().iter().any(|i| i == STOPPED),
        "{STOPPED} is in MINION_IDS"
    );
    let app = spawn_app(&[
        ("LOGVIEW__SALT__MINION_TIMEOUT_SECS", "2"),
        ("LOGVIEW__SALT__GATHER_JOB_TIMEOUT_SECS", "2"),
        ("LOGVIEW__SALT__REQUEST_TIMEOUT_SECS", "30"),
    ])
    .await;
    let web01 = stack().get("MINION_ID");
    let name = format!("stack-minions-{}.log", unique());
    let (seen, host03) = minion_file(STOPPED, &name);
    std::fs::write(&host03, format!("{name} on {STOPPED}\n")).expect("write web-03's file");
    let (seen01, host01) = minion_file(web01, &name);
    std::fs::write(&host01, format!("{name} on {web01}\n")).expect("write web-01's file");

    stack_minion("stop", STOPPED);
    let _guard = StartAgain(STOPPED);

    let down = app.tail(STOPPED, &seen, json!(5)).await;
    assert_eq!(down.status, 504, "{down:?}");
    let secs = app.settings.salt.minion_timeout_secs + app.settings.salt.gather_job_timeout_secs;
    assert!(
        down.message()
            .contains(&format!("minion {STOPPED} did not answer within {secs} s")),
        "{down:?}"
    );
    assert_eq!(down.body["field"], "minion_id");
    assert!(
        !key_exists(&app.stream_of(STOPPED, &seen)).await,
        "no stream for the stopped minion"
    );
    // The rest of the fleet keeps working meanwhile.
    tail_until(&app, web01, &seen01, &format!("{name} on {web01}")).await;

    stack_minion("start", STOPPED);
    let lines = tail_until(&app, STOPPED, &seen, &format!("{name} on {STOPPED}")).await;
    assert!(
        !lines.iter().any(|l| l.contains(&format!("on {web01}"))),
        "{STOPPED} read its own file: {lines:?}"
    );
}
