//! saltgate benchmark, printing numbers (no assertions):
//! 1. the gate's own added latency per Salt call: logview's client calls
//!    `file.file_exists` N times directly against an instant stand-in of
//!    salt-api, then N times through an in-process saltgate in front of the
//!    same stand-in (checking, rebuilding, auditing to a file and to the
//!    stack's Redis, forwarding); the difference of the percentiles is what
//!    the gate adds;
//! 2. on the real stack: the same call through the stack's saltgate and
//!    directly to its salt-api (Salt's own time dominates both);
//! 3. the release saltgate binary on the stack: RSS idle and after calls.
//!
//! ```text
//! SLV_STACK_ENV=$PWD/.stack/test/stack.env cargo bench --bench gate
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use salt_logview::audit::Principal;
use salt_logview::gate::{self, GateState};
use salt_logview::salt_api::{SaltApi, SaltCall};
use salt_logview::settings::Settings;
use salt_logview::target::{LogPath, MinionId};
use serde_json::{json, Value};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CALLS: usize = 2000;
const STACK_CALLS: usize = 100;

fn main() -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

#[path = "support/stack_env.rs"]
mod stack_env;
use stack_env::stack_env;

/// salt-api's answers, instantly: `/login` hands out a token, `/` says `true`.
async fn fake_salt_api() -> Result<String, BoxError> {
    let app = Router::new()
        .route(
            "/login",
            post(|| async {
                let mut h = HeaderMap::new();
                h.insert("X-Auth-Token", "fake-token".parse().expect("header"));
                (h, Json(json!({"return": [{"token": "fake-token"}]})))
            }),
        )
        .route(
            "/",
            post(|Json(body): Json<Value>| async move {
                let minion = body[0]["tgt"][0].as_str().unwrap_or("web-01").to_owned();
                Json(json!({"return": [{minion: {"ret": true, "retcode": 0, "jid": "1"}}]}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

fn settings(pairs: &[(&str, &str)]) -> Result<Arc<Settings>, BoxError> {
    let env = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    Ok(Arc::new(Settings::load_with_env(&[], env)?))
}

async fn time_calls(api: &SaltApi, call: &SaltCall, n: usize) -> Result<Vec<f64>, BoxError> {
    let who = Principal::operator("bench");
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        api.file_exists(call, &who).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    Ok(ms)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Starts the release saltgate (`target/release/saltgate`, or `SLV_SALTGATE_BIN`)
/// with the stack's gate settings on a free port, reads its RSS idle, after
/// `STACK_CALLS` calls, and again idle a second later.
async fn release_gate_rss(
    stack: &HashMap<String, String>,
    call: &SaltCall,
    base_env: &[(&str, &str)],
) -> Result<(), BoxError> {
    let bin = std::env::var("SLV_SALTGATE_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/saltgate").to_owned()
    });
    if !std::path::Path::new(&bin).exists() {
        println!("release saltgate RSS: {bin} is missing (cargo build --release --bin saltgate)");
        return Ok(());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let bind = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir()?;
    let audit = dir.path().join("audit.jsonl");
    let mut child = std::process::Command::new(&bin)
        .arg("--config")
        .arg(&stack["SALTGATE_SETTINGS"])
        .env("LOGVIEW__GATE__BIND", &bind)
        .env("LOGVIEW__AUDIT__FILE", &audit)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let pid = child.id().to_string();
    let url = format!("http://{bind}/");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{url}healthz")).send().await.is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("the release saltgate did not answer /healthz within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = rss_kib(&pid);
    let mut env = base_env.to_vec();
    env.push(("LOGVIEW__SALT__GATE_URL", url.as_str()));
    env.push(("LOGVIEW__SALT__GATE_TOKEN", stack["GATE_TOKEN"].as_str()));
    let api = SaltApi::new(&settings(&env)?, None)?;
    time_calls(&api, call, STACK_CALLS).await?;
    let busy = rss_kib(&pid);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(&pid);
    let _ = child.kill();
    let _ = child.wait();
    let mib =
        |k: Option<u64>| k.map_or("?".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "release saltgate RSS: idle {}, after {STACK_CALLS} calls {}, 1 s later {}",
        mib(idle),
        mib(busy),
        mib(after)
    );
    Ok(())
}

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn run() -> Result<(), BoxError> {
    let stack = stack_env()?;
    let fake = fake_salt_api().await?;
    let dir = tempfile::tempdir()?;
    let audit_file = dir.path().join("audit.jsonl");
    let audit_file = audit_file.to_string_lossy().into_owned();
    let redis_admin = stack["REDIS_URL_ADMIN"].as_str();
    let gate_settings = settings(&[
        ("LOGVIEW__SALT__API_URL", fake.as_str()),
        ("LOGVIEW__SALT__PASSWORD", "fake-password"),
        ("LOGVIEW__AUDIT__FILE", audit_file.as_str()),
        ("LOGVIEW__AUDIT__REDIS_URL", redis_admin),
        ("LOGVIEW__AUDIT__STREAM", "salt-logview:bench-audit"),
    ])?;
    let audit = Arc::new(salt_logview::audit::AuditLog::from_settings(
        &gate_settings,
    )?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gate_url = format!("http://{}/", listener.local_addr()?);
    let state = GateState::new(gate_settings.clone(), audit)?;
    tokio::spawn(async move {
        let _ = gate::serve(listener, state, std::future::pending()).await;
    });

    let direct = SaltApi::new(
        &settings(&[
            ("LOGVIEW__SALT__GATE_URL", ""),
            ("LOGVIEW__SALT__API_URL", fake.as_str()),
            ("LOGVIEW__SALT__PASSWORD", "fake-password"),
        ])?,
        None,
    )?;
    let via_gate = SaltApi::new(
        &settings(&[("LOGVIEW__SALT__GATE_URL", gate_url.as_str())])?,
        None,
    )?;
    let call = SaltCall::FileExists {
        minions: vec![MinionId::parse("web-01")?],
        path: LogPath::parse("/var/log/syslog", &["/var/log/**".to_owned()])?,
    };
    // Warm up both paths (connections, logins, the Redis connection).
    time_calls(&direct, &call, 50).await?;
    time_calls(&via_gate, &call, 50).await?;
    let d = time_calls(&direct, &call, CALLS).await?;
    let g = time_calls(&via_gate, &call, CALLS).await?;
    println!("gate overhead, {CALLS} sequential file.file_exists calls against an instant salt-api stand-in:");
    println!(
        "  direct     p50 {:.3} ms  p99 {:.3} ms",
        pct(&d, 0.5),
        pct(&d, 0.99)
    );
    println!(
        "  via gate   p50 {:.3} ms  p99 {:.3} ms  (check + rebuild + audit to file and Redis + forward)",
        pct(&g, 0.5),
        pct(&g, 0.99)
    );
    println!(
        "  added      p50 {:.3} ms  p99 {:.3} ms",
        pct(&g, 0.5) - pct(&d, 0.5),
        pct(&g, 0.99) - pct(&d, 0.99)
    );
    let mut admin = redis::Client::open(redis_admin)?
        .get_multiplexed_async_connection()
        .await?;
    let _: i64 = redis::cmd("DEL")
        .arg("salt-logview:bench-audit")
        .query_async(&mut admin)
        .await?;

    // The real stack: Salt's own time dominates.
    let minion = MinionId::parse(&stack["MINION_ID"])?;
    let log_dir = format!("{}/**", stack["LOG_DIR"]);
    let path = LogPath::parse(
        &format!("{}/app.log", stack["LOG_DIR"]),
        std::slice::from_ref(&log_dir),
    )?;
    let allowed = format!("/var/log/**,{log_dir}");
    let real = SaltCall::FileExists {
        minions: vec![minion],
        path,
    };
    let timeouts = [
        ("LOGVIEW__SALT__MINION_TIMEOUT_SECS", "3"),
        ("LOGVIEW__SALT__GATHER_JOB_TIMEOUT_SECS", "3"),
        ("LOGVIEW__SALT__REQUEST_TIMEOUT_SECS", "15"),
        ("LOGVIEW__TAIL__ALLOWED_PATHS", allowed.as_str()),
    ];
    let mut gate_env = timeouts.to_vec();
    gate_env.push(("LOGVIEW__SALT__GATE_URL", stack["SALTGATE_URL"].as_str()));
    gate_env.push(("LOGVIEW__SALT__GATE_TOKEN", stack["GATE_TOKEN"].as_str()));
    let mut direct_env = timeouts.to_vec();
    direct_env.push(("LOGVIEW__SALT__GATE_URL", ""));
    direct_env.push(("LOGVIEW__SALT__API_URL", stack["SALT_API_URL"].as_str()));
    direct_env.push((
        "LOGVIEW__SALT__PASSWORD",
        stack["SALT_LOGVIEW_PASSWORD"].as_str(),
    ));
    let stack_gate = SaltApi::new(&settings(&gate_env)?, None)?;
    let stack_direct = SaltApi::new(&settings(&direct_env)?, None)?;
    time_calls(&stack_gate, &real, 3).await?;
    time_calls(&stack_direct, &real, 3).await?;
    let sd = time_calls(&stack_direct, &real, STACK_CALLS).await?;
    let sg = time_calls(&stack_gate, &real, STACK_CALLS).await?;
    println!(
        "real stack, {STACK_CALLS} sequential file.file_exists on {}:",
        stack["MINION_ID"]
    );
    println!(
        "  salt-api directly  p50 {:.1} ms  p99 {:.1} ms",
        pct(&sd, 0.5),
        pct(&sd, 0.99)
    );
    println!(
        "  through saltgate   p50 {:.1} ms  p99 {:.1} ms",
        pct(&sg, 0.5),
        pct(&sg, 0.99)
    );
    release_gate_rss(&stack, &real, &timeouts).await?;
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
