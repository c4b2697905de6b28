//! `POST /api/run` against the real stack: an allow-listed command's stdout,
//! stderr (marked by fd) and exit status reach its stream.

use std::time::Duration;

use salt_logview::tickets::TicketKind;
use salt_logview::wire::{Entry, EventKind};
use serde_json::json;

use crate::api_support::*;
use crate::support::stack::stack;

#[tokio::test]
async fn a_named_commands_stdout_stderr_and_exit_status_arrive() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let a = app
        .post_json(
            "api/run",
            json!({"minion_id": minion, "command": "pipe-check"}),
        )
        .await;
    let ticket = app.ticket_of(a.url());
    assert_eq!(ticket.kind, TicketKind::Command);
    assert_eq!(ticket.target, "pipe-check");
    let (command, run_id) = salt_logview::wire::parse_command_stream_key(
        &app.settings.redis.prefix,
        minion,
        &ticket.stream,
    )
    .expect("command stream key");
    assert_eq!(command, "pipe-check");
    assert!(
        run_id.len() == 16 && run_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{run_id}"
    );

    let stream = ticket.stream.clone();
    let got = eventually(Duration::from_secs(30), async || {
        let e = entries(&stream).await;
        e.iter()
            .any(|(_, e)| matches!(e, Entry::Event(ev) if ev.kind == EventKind::Exit))
            .then_some(e)
    })
    .await
    .expect("the command's exit event arrives");
    let by_fd = |want: u8| -> Vec<String> {
        got.iter()
            .filter_map(|(_, e)| match e {
                Entry::Lines {
                    lines,
                    fd: Some(fd),
                    ..
                } if *fd == want => Some(lines.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    };
    assert_eq!(by_fd(1), ["/"], "stdout");
    let stderr = by_fd(2).join("\n");
    assert!(
        stderr.contains("/nonexistent-logview-pipe-check"),
        "stderr: {stderr:?}"
    );
    let exit = got.iter().find_map(|(_, e)| match e {
        Entry::Event(ev) if ev.kind == EventKind::Exit => Some(ev.clone()),
        _ => None,
    });
    assert_eq!(
        exit.and_then(|ev| ev.get("status").map(str::to_owned))
            .as_deref(),
        Some("2")
    );
}
