//! The start of a fleet view against the real stack (three minions, saltgate,
//! salt-api): a named target resolved by the gate, ONE Salt call per step for
//! the whole list (counted in the gate's audit trail), each minion's outcome
//! in the answer and the ticket, a second start sharing the running tailer,
//! and the refusals of bad targets and id lists.

use salt_logview::audit::AuditRecord;
use salt_logview::tickets::{FleetTicket, TicketSigner};
use serde_json::{json, Value};

use crate::api_support::*;
use crate::stack_minions::{minion_file, stack_minion, StartAgain, FLEET, STOPPED};
use crate::support::stack::stack;

/// The gate's audit records made for `who` (its JSON-lines file).
fn gate_records(who: &str) -> Vec<AuditRecord> {
    std::fs::read_to_string(stack().path("SALTGATE_AUDIT"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<AuditRecord>(l).ok())
        .filter(|r| r.principal.on_behalf_of.as_deref() == Some(who))
        .collect()
}

fn count(records: &[AuditRecord], action: &str) -> usize {
    records.iter().filter(|r| r.action == action).count()
}

fn fleet_ticket(app: &TestApp, url: &str) -> FleetTicket {
    let prefix = format!("{}fleet/", app.base);
    let token = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} does not start with {prefix}"));
    TicketSigner::new(
        app.settings.auth.ticket_key.clone(),
        app.settings.auth.ticket_ttl_secs,
    )
    .verify_fleet(token)
    .expect("the fleet ticket verifies")
}

fn outcomes(body: &Value) -> Vec<(String, String)> {
    body["minions"]
        .as_array()
        .unwrap_or_else(|| panic!("no minions list: {body}"))
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (s("minion"), s("outcome"))
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_target_with_one_minion_down_and_one_file_missing_starts_on_the_third_with_one_call_per_step(
) {
    let _fleet = FLEET.lock().await;
    let app = spawn_app(&[
        ("LOGVIEW__SALT__MINION_TIMEOUT_SECS", "3"),
        ("LOGVIEW__SALT__GATHER_JOB_TIMEOUT_SECS", "3"),
        ("LOGVIEW__SALT__REQUEST_TIMEOUT_SECS", "30"),
    ])
    .await;
    // The file exists on web-01 and web-03 only; web-03 is then stopped.
    let name = format!("fleet-{}.log", unique());
    let (seen, host01) = minion_file("web-01", &name);
    std::fs::write(&host01, "one\ntwo\nthree\n").expect("web-01's file");
    let (_, host03) = minion_file(STOPPED, &name);
    std::fs::write(&host03, "on web-03\n").expect("web-03's file");
    stack_minion("stop", STOPPED);
    let _guard = StartAgain(STOPPED);

    let who = format!("fleet-{}", unique());
    let body = json!({"target": "web", "log_path": seen, "line_count": 2, "on_behalf_of": who});
    let answer = app.post_json("api/tail", body.clone()).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let b = &answer.body;
    assert_eq!(
        (b["started"].clone(), b["of"].clone()),
        (json!(1), json!(3)),
        "{b}"
    );
    assert_eq!(
        outcomes(b),
        pairs(&[
            ("web-01", "started"),
            ("web-02", "missing"),
            ("web-03", "unreachable")
        ])
    );
    let message = answer.message();
    assert!(message.starts_with("started on 1 of 3: "), "{message}");
    assert!(
        message.contains("web-02: ") && message.contains("missing"),
        "{message}"
    );
    assert!(
        message.contains("web-03: did not answer within"),
        "{message}"
    );
    let url = answer.url().to_owned();
    let ticket = fleet_ticket(&app, &url);
    assert_eq!(ticket.target, "web");
    assert_eq!(ticket.path, seen);
    let members: Vec<&str> = ticket.members.iter().map(|m| m.minion.as_str()).collect();
    assert_eq!(members, ["web-01"]);
    let failed: Vec<(&str, &str)> = ticket
        .failed
        .iter()
        .map(|f| (f.minion.as_str(), f.outcome.as_str()))
        .collect();
    assert_eq!(failed, [("web-02", "missing"), ("web-03", "unreachable")]);
    assert_eq!(
        b["ticket"],
        json!(url.rsplit('/').next().unwrap_or_default())
    );

    // web-01's tailer runs: its backlog is in its own stream.
    let stream = app.stream_of("web-01", &seen);
    let got = eventually(std::time::Duration::from_secs(30), async || {
        let lines = lines_of(&entries(&stream).await);
        lines.iter().any(|l| l == "three").then_some(lines)
    })
    .await
    .expect("web-01's backlog reaches its stream");
    assert!(got.iter().any(|l| l == "two"), "{got:?}");

    // The gate saw ONE resolve, ONE file_exists, ONE stop, ONE follow.
    let records = gate_records(&who);
    for action in ["resolve", "file_exists", "stop", "follow"] {
        assert_eq!(count(&records, action), 1, "{action}: {records:#?}");
    }
    let fe = records
        .iter()
        .find(|r| r.action == "file_exists")
        .expect("file_exists record");
    assert_eq!(
        fe.minion.as_deref(),
        Some("web-01,web-02"),
        "the answering minions"
    );
    let follow = records
        .iter()
        .find(|r| r.action == "follow")
        .expect("follow");
    assert_eq!(follow.minion.as_deref(), Some("web-01"));

    // A second start shares web-01's tailer: no further stop or follow.
    let again = app.post_json("api/tail", body).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(outcomes(&again.body)[0], ("web-01".into(), "shared".into()));
    let records = gate_records(&who);
    assert_eq!(count(&records, "file_exists"), 2, "{records:#?}");
    assert_eq!(count(&records, "stop"), 1, "shared: no stop");
    assert_eq!(count(&records, "follow"), 1, "shared: no follow");

    // logview's own record of the fleet start names the minions and the target.
    let mine: Vec<AuditRecord> = std::fs::read_to_string(stack().path("LOGVIEW_AUDIT"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<AuditRecord>(l).ok())
        .filter(|r| r.principal.on_behalf_of.as_deref() == Some(&who) && r.action == "fleet")
        .collect();
    // The stack's logview writes its own file; this test's app writes where
    // its settings say, which is the same LOGVIEW_AUDIT file.
    assert_eq!(mine.len(), 2, "{mine:#?}");
    assert_eq!(mine[0].target.as_deref(), Some("web"));
    assert_eq!(mine[0].minion.as_deref(), Some("web-01,web-02,web-03"));
    assert!(
        mine[0].outcome.starts_with("ok: started on 1 of 3"),
        "{mine:?}"
    );
}

#[tokio::test]
async fn an_explicit_list_starts_on_each_and_none_present_is_a_422_with_every_outcome() {
    let _fleet = FLEET.lock().await;
    let app = spawn_app(&[]).await;
    let name = format!("fleet-list-{}.log", unique());
    for id in ["web-01", "web-02"] {
        let (_, host) = minion_file(id, &name);
        std::fs::write(&host, format!("line of {id}\n")).expect("write");
    }
    let (seen, _) = minion_file("web-01", &name);
    let ok = app
        .post_json(
            "api/tail",
            json!({"minion_ids": ["web-02", "web-01"], "log_path": seen, "line_count": 1}),
        )
        .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(
        outcomes(&ok.body),
        pairs(&[("web-01", "started"), ("web-02", "started")])
    );
    assert_eq!(ok.message(), "started on 2 of 2");
    let ticket = fleet_ticket(&app, ok.url());
    assert_eq!(ticket.target, "", "an explicit list names no target");
    assert_eq!(ticket.members.len(), 2);

    let nowhere = format!("{}/fleet-nowhere-{}.log", stack().get("LOG_DIR"), unique());
    let none = app
        .post_json(
            "api/tail",
            json!({"minion_ids": "web-01,web-02", "log_path": nowhere}),
        )
        .await;
    assert_eq!(none.status, 422, "{none:?}");
    assert_eq!(none.body["success"], json!(false));
    assert!(none.body.get("url").is_none(), "no ticket: {none:?}");
    assert_eq!(
        outcomes(&none.body),
        pairs(&[("web-01", "missing"), ("web-02", "missing")])
    );
    assert!(
        none.message()
            .starts_with("the view started on none of the minions: started on 0 of 2"),
        "{none:?}"
    );
}

#[tokio::test]
async fn bad_targets_and_id_lists_are_refused_naming_the_field() {
    let app = spawn_app(&[]).await;
    let path = format!("{}/app.log", stack().get("LOG_DIR"));
    let post = |body: Value| app.post_json("api/tail", body);

    let both = post(json!({"minion_id": "web-01", "target": "web", "log_path": path})).await;
    assert_eq!(both.status, 400, "{both:?}");
    assert!(both.message().contains("exactly one of"), "{both:?}");

    let unknown = post(json!({"target": "nosuch", "log_path": path})).await;
    assert_eq!(unknown.status, 404, "{unknown:?}");
    assert_eq!(unknown.body["field"], "target");
    assert!(unknown.message().contains("nosuch"), "{unknown:?}");

    let expr = post(json!({"target": "web-*", "log_path": path})).await;
    assert_eq!(expr.status, 400, "{expr:?}");
    assert_eq!(expr.body["field"], "target");

    let twice = post(json!({"minion_ids": ["web-01", "web-02", "web-01"], "log_path": path})).await;
    assert_eq!(twice.status, 400, "{twice:?}");
    assert_eq!(twice.body["field"], "minion_ids");
    assert!(twice.message().starts_with("minion_ids[2]:"), "{twice:?}");

    let glob = post(json!({"minion_ids": ["web-01", "web-*"], "log_path": path})).await;
    assert_eq!(glob.status, 400, "{glob:?}");
    assert!(glob.message().starts_with("minion_ids[1]:"), "{glob:?}");

    let outside = post(json!({"minion_ids": ["web-01"], "log_path": "/etc/shadow"})).await;
    assert_eq!(outside.status, 400, "{outside:?}");
    assert_eq!(outside.body["field"], "log_path");
}

#[tokio::test]
async fn more_minions_than_max_fleet_are_refused_with_the_limit_and_the_count() {
    let app = spawn_app(&[("LOGVIEW__LIMITS__MAX_FLEET", "2")]).await;
    let path = format!("{}/app.log", stack().get("LOG_DIR"));
    let big = app
        .post_json("api/tail", json!({"target": "web", "log_path": path}))
        .await;
    assert_eq!(big.status, 422, "{big:?}");
    assert_eq!(big.body["field"], "target");
    assert_eq!(
        big.message(),
        "target covers 3 minions, more than limits.max_fleet (2)"
    );
    let ids = app
        .post_json(
            "api/tail",
            json!({"minion_ids": ["web-01", "web-02", "web-03"], "log_path": path}),
        )
        .await;
    assert_eq!(ids.status, 400, "{ids:?}");
    assert!(ids.message().contains("limits.max_fleet (2)"), "{ids:?}");
}

#[tokio::test]
async fn the_gate_resolves_only_its_own_names_and_get_api_targets_lists_them() {
    let s = stack();
    let gate = reqwest::Client::new();
    let resolve = |target: Value| {
        gate.post(format!("{}v1/resolve", s.get("SALTGATE_URL")))
            .bearer_auth(s.get("GATE_TOKEN"))
            .json(&json!({"principal": {"kind": "test", "name": "fleet_start"}, "target": target}))
            .send()
    };
    for (target, said) in [
        (json!("nosuch"), "is not a [targets.*] name of saltgate"),
        (json!("web-*"), "a Salt expression is never accepted"),
        (json!(["web-01"]), "a Salt expression is never accepted"),
    ] {
        let r = resolve(target.clone()).await.expect("the gate answers");
        assert_eq!(r.status().as_u16(), 403, "{target}");
        let text = r.text().await.unwrap_or_default();
        assert!(
            text.contains("target:") && text.contains(said),
            "{target}: {text}"
        );
    }
    let unauth = gate
        .post(format!("{}v1/resolve", s.get("SALTGATE_URL")))
        .json(&json!({"principal": {"kind": "t", "name": "n"}, "target": "web"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(unauth.status().as_u16(), 401);

    let app = spawn_app(&[]).await;
    let (status, text) = app
        .get_text(&format!("{}api/targets", app.base), false)
        .await;
    assert_eq!(status, 401, "GET /api/targets needs a token: {text}");
    let listed: Value = app
        .http
        .get(format!("{}api/targets", app.base))
        .bearer_auth(app.token())
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = listed["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["pair", "web", "webrole"], "{listed}");
    assert!(
        listed["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .all(|t| t.get("expr").is_none()),
        "expressions are not listed: {listed}"
    );
}
