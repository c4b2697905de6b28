//! Fleet starts whose members differ: a tailer of another logtail version on
//! one member is replaced by its own `stop --replacing` and `follow
//! --resume-at` (a position in that minion's file, so not part of the list
//! call) while the others share their running tailer, as the gate's audit
//! trail shows; and a member whose logtail refuses the path (outside its
//! `allowed_paths` once resolved) is `refused` while the rest start.

use redis::AsyncCommands;
use salt_logview::audit::AuditRecord;
use salt_logview::wire::{owner_key, Entry, EventKind, OwnerValue};
use serde_json::json;

use crate::api_support::*;
use crate::stack_minions::minion_file;
use crate::support::stack::stack;
use crate::tail_sharing::owner_value;

fn gate_records(who: &str) -> Vec<AuditRecord> {
    std::fs::read_to_string(stack().path("SALTGATE_AUDIT"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<AuditRecord>(l).ok())
        .filter(|r| r.principal.on_behalf_of.as_deref() == Some(who))
        .collect()
}

#[tokio::test]
async fn a_stale_member_is_replaced_on_its_own_and_the_others_share() {
    let app = spawn_app(&[]).await;
    let name = format!("fleet-stale-{}.log", unique());
    for id in ["web-01", "web-02"] {
        let (_, host) = minion_file(id, &name);
        std::fs::write(&host, format!("{id} one\n{id} two\n")).expect("write");
    }
    let (seen, _) = minion_file("web-01", &name);
    let who = format!("fleet-stale-{}", unique());
    let body = json!({"target": "pair", "log_path": seen, "line_count": 2, "on_behalf_of": who});
    let first = app.post_json("api/tail", body.clone()).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.message(), "started on 2 of 2");

    // As if web-01's tailer were an older build (a Salt upgrade since).
    let stream = app.stream_of("web-01", &seen);
    let value = eventually(std::time::Duration::from_secs(30), async || {
        owner_value(&stream).await
    })
    .await
    .expect("web-01's owner key");
    let older = OwnerValue {
        version: Some("0.0.0-older".into()),
        ..OwnerValue::parse(&value).expect("owner value")
    };
    let () = redis_admin()
        .await
        .set_ex(owner_key(&stream), older.to_value(), 30)
        .await
        .expect("SET owner");

    let second = app.post_json("api/tail", body).await;
    assert_eq!(second.status, 200, "{second:?}");
    let outcomes: Vec<(String, String)> = second.body["minions"]
        .as_array()
        .expect("minions")
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (s("minion"), s("outcome"))
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("web-01".to_owned(), "started".to_owned()),
            ("web-02".to_owned(), "shared".to_owned())
        ]
    );
    // First start: one stop + one follow for both; second: web-01's own pair.
    let records = gate_records(&who);
    let of = |action: &str| {
        records
            .iter()
            .filter(|r| r.action == action)
            .map(|r| r.minion.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(of("stop"), ["web-01,web-02", "web-01"], "{records:#?}");
    assert_eq!(of("follow"), ["web-01,web-02", "web-01"], "{records:#?}");
    assert_eq!(of("file_exists").len(), 2);
    // The successor continued where the old one stopped: a resumed `started`.
    let resumed = eventually(std::time::Duration::from_secs(30), async || {
        entries(&stream)
            .await
            .into_iter()
            .find_map(|(_, e)| match e {
                Entry::Event(ev)
                    if ev.kind == EventKind::Started && ev.get("resumed") == Some("1") =>
                {
                    Some(())
                }
                _ => None,
            })
    })
    .await;
    assert!(resumed.is_some(), "web-01's successor resumed its position");
}

#[tokio::test]
async fn a_member_whose_logtail_refuses_the_path_is_refused_and_the_rest_start() {
    let app = spawn_app(&[]).await;
    let name = format!("fleet-refused-{}.log", unique());
    // On web-01 the name is a symlink out of logtail's allowed_paths (a regular
    // file for file.file_exists, refused by logtail); on web-02 a plain file.
    let outside = std::env::temp_dir().join(format!("slv-{name}"));
    std::fs::write(&outside, "outside\n").expect("write outside");
    let (seen, host01) = minion_file("web-01", &name);
    std::os::unix::fs::symlink(&outside, &host01).expect("symlink");
    let (_, host02) = minion_file("web-02", &name);
    std::fs::write(&host02, "inside\n").expect("write");
    let answer = app
        .post_json(
            "api/tail",
            json!({"minion_ids": ["web-01", "web-02"], "log_path": seen}),
        )
        .await;
    let _ = std::fs::remove_file(&host01);
    let _ = std::fs::remove_file(&outside);
    assert_eq!(answer.status, 200, "{answer:?}");
    let minions = answer.body["minions"].as_array().expect("minions").clone();
    assert_eq!(minions[0]["minion"], "web-01");
    assert_eq!(minions[0]["outcome"], "refused", "{answer:?}");
    assert!(
        minions[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("allowed_paths")),
        "{answer:?}"
    );
    assert_eq!(minions[1]["outcome"], "started", "{answer:?}");
    assert!(answer.message().starts_with("started on 1 of 2: web-01: "));
}
