//! Drill: a logview replica is killed (SIGKILL, no goodbye) while viewers
//! are attached to it through nginx; they reconnect through nginx with
//! their last id, land on another replica, and get every line once, in
//! order. Prints `written N, received M, duplicates D, gaps G` per viewer.
//! Needs a stack with replicas (`scripts/stack.sh up --replicas 3`); SKIPS
//! (and says so) on one without. The killed replica is started again as it
//! ran, so the stack is left as found.

use std::time::Duration;

use tokio::sync::watch;

use crate::api_support::*;
use crate::drill_support::*;

#[tokio::test]
async fn a_replica_killed_with_viewers_attached_they_resume_on_another() {
    let Some(r) = replicas("replica-kill") else {
        return;
    };
    let _one = DRILL.lock().await;
    let file = log_file("drill-replica", 0);
    let path = file.to_string_lossy().into_owned();
    let ticket = tail_via(&r.lb, &path).await;
    let (done, written) = watch::channel(None);
    let mut viewers = Vec::new();
    for i in 0..6 {
        let how = if i % 2 == 0 {
            Transport::Ws
        } else {
            Transport::Sse
        };
        let v = tokio::spawn(viewer(r.lb.clone(), ticket.clone(), how, written.clone()));
        viewers.push((format!("viewer {i} ({how:?})"), v));
    }
    // nginx spreads the six over the replicas; the one with most dies.
    let counts = eventually(DRILL_WAIT, async || {
        let mut counts = Vec::new();
        for u in &r.urls {
            counts.push(viewers_on(u).await);
        }
        (counts.iter().sum::<u64>() >= 6).then_some(counts)
    })
    .await
    .expect("the six viewers attach");
    let (victim, on_victim) = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .map(|(i, n)| (i, *n))
        .expect("a replica");
    assert!(on_victim > 0, "{counts:?}");
    let writer = tokio::spawn(write_lines(
        file.clone(),
        300,
        Duration::from_millis(20),
        done,
    ));
    // Kill it mid-stream: once the tailer has put some of the lines in Redis.
    let stream = stream_of_path(&path);
    stream_holds(&stream, 60).await;
    let pidfile = &r.pidfiles[victim];
    let pid = pid_in(pidfile);
    let relaunch = Relaunch::of(pid);
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    eprintln!("drill replica-kill: killed replica {} (pid {pid}) serving {on_victim} of {counts:?} viewers", victim + 1);
    writer.await.expect("writer");
    let mut connects = 0;
    for (who, v) in viewers {
        let got = v.await.expect("viewer task");
        connects += got.connects;
        tally("replica-kill", &who, 300, &got);
    }
    assert!(
        u64::from(connects) >= 6 + on_victim,
        "the killed replica's viewers reconnected ({connects} connections)"
    );
    // Leave the stack as found.
    let log = pidfile.with_extension("log");
    let log = log
        .parent()
        .map(|d| d.join("log").join(log.file_name().expect("name")))
        .expect("log path");
    relaunch.start(&log, pidfile);
    wait_healthy(&format!("{}healthz", r.urls[victim])).await;
}
