//! salt-api and minion failures against the real stack, on PRIVATE processes
//! so other tests never see them: a second salt-api on the stack's master
//! (own port) that is stopped and restarted, and a second minion that is
//! stopped. Covers: salt-api restarted between two requests (works, by
//! logging in again), salt-api down (a clear 502, fast), minion process
//! stopped (a 504 naming the minion within a few seconds).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use salt_logview::audit::Principal;
use salt_logview::salt_api::SaltCall;
use salt_logview::target::{LogPath, MinionId};

use crate::api_support::*;
use crate::support::gate::spawn_gate;
use crate::support::ports::ReservedPort;
use crate::support::stack::stack;

const START_WAIT: Duration = Duration::from_secs(120);

fn venv_bin(name: &str) -> PathBuf {
    stack().path("STACK_DIR").join("../venv/bin").join(name)
}

/// Copies the stack's config `file` into `dir`, replacing whole lines whose
/// trimmed start is a key of `set` by `key: value` (same indentation).
fn copy_config(file: &str, dir: &Path, set: &[(&str, String)]) {
    let etc = stack().path("STACK_DIR").join("etc");
    let text = std::fs::read_to_string(etc.join(file)).expect("read the stack's salt config");
    let out: Vec<String> = text
        .lines()
        .map(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            for (key, value) in set {
                if line.trim_start().starts_with(&format!("{key}:")) {
                    return format!("{indent}{key}: {value}");
                }
            }
            line.to_owned()
        })
        .collect();
    std::fs::write(dir.join(file), out.join("\n") + "\n").expect("write config");
    let dropins = etc.join(format!("{file}.d"));
    std::fs::create_dir_all(dir.join(format!("{file}.d"))).expect("mkdir .d");
    if file == "master" {
        for f in std::fs::read_dir(&dropins).expect("master.d").flatten() {
            std::fs::copy(f.path(), dir.join("master.d").join(f.file_name()))
                .expect("copy drop-in");
        }
    }
}

/// Reads a pid file and sends SIGTERM; waits until the process is gone.
async fn stop_pidfile(pidfile: &Path) {
    let Ok(text) = std::fs::read_to_string(pidfile) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    // SAFETY: kill(2) with a pid read from the daemon's own pid file.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let gone = eventually(Duration::from_secs(60), async || {
        let alive = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty());
        (!alive).then_some(())
    })
    .await;
    assert!(gone.is_some(), "pid {pid} did not exit after SIGTERM");
}

/// A second salt-api on the stack's master.
struct PrivateApi {
    dir: PathBuf,
    /// Held while the test runs, so no other test takes the port while this
    /// salt-api is stopped and restarted.
    port: ReservedPort,
}

/// SIGTERM to the pid in `pidfile`, without waiting (cleanup on panic).
fn terminate(pidfile: &Path) {
    if let Some(pid) = std::fs::read_to_string(pidfile)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
    {
        // SAFETY: kill(2) with a pid read from the daemon's own pid file.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
}

impl Drop for PrivateApi {
    fn drop(&mut self) {
        terminate(&self.dir.join("salt-api.pid"));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl PrivateApi {
    fn new() -> PrivateApi {
        let dir = stack()
            .path("STACK_DIR")
            .join("run")
            .join(format!("api-test-{}", unique()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let port = ReservedPort::new();
        copy_config(
            "master",
            &dir,
            &[
                ("port", port.port().to_string()),
                (
                    "api_pidfile",
                    dir.join("salt-api.pid").display().to_string(),
                ),
                ("api_logfile", dir.join("api.log").display().to_string()),
            ],
        );
        PrivateApi { dir, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port.port())
    }

    async fn start(&self) {
        let status = Command::new(venv_bin("salt-api"))
            .arg("-c")
            .arg(&self.dir)
            .arg("-d")
            .status()
            .expect("run salt-api");
        assert!(status.success(), "salt-api -d failed");
        let client = reqwest::Client::new();
        let url = self.url();
        eventually(START_WAIT, async || {
            let r = client.get(&url).send().await.ok()?;
            r.status().is_success().then_some(())
        })
        .await
        .expect("the private salt-api answers GET /");
    }

    async fn stop(&self) {
        stop_pidfile(&self.dir.join("salt-api.pid")).await;
    }
}

#[tokio::test]
async fn salt_api_down_is_a_fast_502_and_a_restart_between_requests_works() {
    let api = PrivateApi::new();
    api.start().await;
    let url = api.url();
    // logview → a gate of its own → the private salt-api.
    let gate = spawn_gate(&[("LOGVIEW__SALT__API_URL", url.as_str())]).await;
    let app = spawn_app(&[("LOGVIEW__SALT__GATE_URL", gate.url.as_str())]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("restart", 3);
    let path = file.to_string_lossy().into_owned();

    app.tail(minion, &path, json!(3)).await.url();

    api.stop().await;
    let started = Instant::now();
    let down = app.tail(minion, &path, json!(3)).await;
    let took = started.elapsed();
    assert_eq!(down.status, 502, "{down:?}");
    assert!(
        down.message().contains("salt-api is not reachable"),
        "{down:?}"
    );
    assert!(!down.message().contains('<'), "{down:?}");
    assert!(
        took < Duration::from_secs(10),
        "answered in {took:?}, not after a long hang"
    );

    api.start().await;
    let again = app.tail(minion, &path, json!(3)).await;
    again.url();
    api.stop().await;
}

/// A second minion of the stack's master, which this test may stop.
struct PrivateMinion {
    id: String,
    dir: PathBuf,
}

impl PrivateMinion {
    fn new() -> PrivateMinion {
        let u = unique();
        let id = format!("spare-{u}");
        let dir = stack()
            .path("STACK_DIR")
            .join("run")
            .join(format!("minion-test-{u}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let d = |p: &str| dir.join(p).display().to_string();
        copy_config(
            "minion",
            &dir,
            &[
                ("id", id.clone()),
                ("pki_dir", d("pki")),
                ("cachedir", d("cache")),
                ("extension_modules", d("cache/extmods")),
                ("sock_dir", d("sock")),
                ("pidfile", d("salt-minion.pid")),
                ("log_file", d("minion.log")),
            ],
        );
        PrivateMinion { id, dir }
    }

    fn start(&self) {
        let status = Command::new(venv_bin("salt-minion"))
            .arg("-c")
            .arg(&self.dir)
            .arg("-d")
            .status()
            .expect("run salt-minion");
        assert!(status.success(), "salt-minion -d failed");
    }

    async fn stop(&self) {
        stop_pidfile(&self.dir.join("salt-minion.pid")).await;
    }

    fn forget(&self) {
        let key = stack()
            .path("STACK_DIR")
            .join("run/pki/master/minions")
            .join(&self.id);
        let _ = std::fs::remove_file(key);
    }
}

impl Drop for PrivateMinion {
    fn drop(&mut self) {
        terminate(&self.dir.join("salt-minion.pid"));
        self.forget();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_stopped_minion_is_a_504_naming_it_within_a_few_seconds() {
    let app = spawn_app(&[
        ("LOGVIEW__SALT__MINION_TIMEOUT_SECS", "1"),
        ("LOGVIEW__SALT__GATHER_JOB_TIMEOUT_SECS", "1"),
        ("LOGVIEW__SALT__REQUEST_TIMEOUT_SECS", "30"),
    ])
    .await;
    let spare = PrivateMinion::new();
    spare.start();
    let file = log_file("spare", 1);
    let path = file.to_string_lossy().into_owned();
    let salt = app.state.orchestrator.salt().clone();
    let probe = SaltCall::FileExists {
        minions: vec![MinionId::parse(&spare.id).expect("id")],
        path: LogPath::parse(&path, &app.settings.tail.allowed_paths).expect("path"),
    };
    let who = Principal::operator("api_salt-test");
    let answered = eventually(START_WAIT, async || {
        salt.file_exists(&probe, &who).await.ok()
    })
    .await;
    assert_eq!(
        answered,
        Some(true),
        "the spare minion answers through salt-api"
    );

    spare.stop().await;
    let started = Instant::now();
    let a = app.tail(&spare.id, &path, json!(1)).await;
    let took = started.elapsed();
    assert_eq!(a.status, 504, "{a:?}");
    let secs = app.settings.salt.minion_timeout_secs + app.settings.salt.gather_job_timeout_secs;
    assert!(
        a.message().contains(&format!(
            "minion {} did not answer within {secs} s",
            spare.id
        )),
        "{a:?}"
    );
    assert_eq!(a.body["field"], "minion_id");
    // about 2 s on an idle machine; loosely bounded (shared, noisy machine)
    assert!(took < Duration::from_secs(20), "answered in {took:?}");
    assert!(
        !key_exists(&app.stream_of(&spare.id, &path)).await,
        "no stream was created"
    );
}
