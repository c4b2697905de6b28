//! Drill: nginx in front of the replicas is reloaded (`nginx -s reload`:
//! the old worker closes its streams after `worker_shutdown_timeout`), then
//! stopped (`nginx -s stop`) and started again, while WebSocket and SSE
//! viewers are attached and a writer appends lines; the viewers reconnect
//! with their last id and get every line once, in order. Prints `written N,
//! received M, duplicates D, gaps G` per viewer. Needs a stack with
//! replicas (`scripts/stack.sh up --replicas 3`); SKIPS (and says so) on
//! one without.

use std::time::Duration;

use tokio::sync::watch;

use crate::api_support::*;
use crate::drill_support::*;

/// `nginx -p DIR/ -c CONF -s SIGNAL`.
fn nginx_signal(r: &Replicas, signal: &str) {
    let status = std::process::Command::new(&r.nginx_bin)
        .args([
            "-p",
            &format!("{}/", r.nginx_dir),
            "-c",
            &r.nginx_conf,
            "-s",
            signal,
        ])
        .status()
        .expect("run nginx -s");
    assert!(status.success(), "nginx -s {signal}");
}

#[tokio::test]
async fn nginx_reloaded_then_restarted_under_viewers_loses_and_repeats_nothing() {
    let Some(r) = replicas("nginx-restart") else {
        return;
    };
    let _one = DRILL.lock().await;
    let file = log_file("drill-nginx", 0);
    let path = file.to_string_lossy().into_owned();
    let stream = stream_of_path(&path);
    let ticket = tail_via(&r.lb, &path).await;
    let (done, written) = watch::channel(None);
    let mut viewers = Vec::new();
    for i in 0..4 {
        let how = if i % 2 == 0 {
            Transport::Ws
        } else {
            Transport::Sse
        };
        let v = tokio::spawn(viewer(r.lb.clone(), ticket.clone(), how, written.clone()));
        viewers.push((format!("viewer {i} ({how:?})"), v));
    }
    let n = 800;
    let writer = tokio::spawn(write_lines(
        file.clone(),
        n,
        Duration::from_millis(20),
        done,
    ));

    stream_holds(&stream, 50).await;
    let master = pid_in(&r.nginx_pid);
    nginx_signal(&r, "reload");
    eprintln!("drill nginx-restart: nginx -s reload (master {master})");

    stream_holds(&stream, 400).await;
    let relaunch = Relaunch::nginx(&r);
    nginx_signal(&r, "stop");
    let gone = eventually(DRILL_WAIT, async || (!running(master)).then_some(())).await;
    assert!(gone.is_some(), "nginx stopped");
    eprintln!("drill nginx-restart: nginx -s stop; starting it again");
    tokio::time::sleep(Duration::from_millis(500)).await; // viewers find nobody listening
    let log = r
        .nginx_pid
        .parent()
        .expect("run dir")
        .join("log")
        .join("nginx-error.log");
    relaunch.start(&log, &r.nginx_pid);
    wait_healthy(&format!("{}healthz", r.lb)).await;

    writer.await.expect("writer");
    for (who, v) in viewers {
        let got = v.await.expect("viewer task");
        tally("nginx-restart", &who, n, &got);
        assert!(
            got.connects >= 2,
            "{who} reconnected after the stop ({} connections)",
            got.connects
        );
    }
}
