//! logtail distributed to the minion by applying the `logtail` state through
//! salt-api as the `deploy` eauth user, exactly as an operator would: the
//! state is idempotent, the installed binary is the static musl build and
//! answers `--version`, its config is private, and `deploy` can do nothing else.

use std::os::unix::fs::PermissionsExt;

use serde_json::{json, Value};

use crate::support::salt_api::{assert_allowed, assert_denied, chunk, pins, run, User};
use crate::support::stack::stack;

/// Runs `state.apply logtail` as deploy and returns the states, checking that
/// the retcode is 0 and every state's result is true.
async fn apply_logtail() -> serde_json::Map<String, Value> {
    let reply = run(User::Deploy, chunk("state.apply", json!(["logtail"]), None)).await;
    assert_allowed(&reply, "deploy: state.apply logtail");
    let ret = reply.minion(stack().get("MINION_ID"));
    assert_eq!(ret["retcode"], 0, "state.apply logtail failed: {ret}");
    let states = ret["ret"]
        .as_object()
        .unwrap_or_else(|| panic!("state.apply returned no states: {ret}"))
        .clone();
    for (id, state) in &states {
        assert_eq!(state["result"], true, "state {id} failed: {state}");
    }
    states
}

#[tokio::test]
async fn deploy_applies_the_logtail_state_idempotently_through_salt_api() {
    let first = apply_logtail().await;
    let ids: Vec<&str> = first
        .values()
        .filter_map(|s| s["__id__"].as_str())
        .collect();
    for id in [
        "logtail-install-binary",
        "logtail-config-file",
        "logtail-config-lock-dir",
    ] {
        assert!(ids.contains(&id), "state {id} missing from {ids:?}");
    }
    let second = apply_logtail().await;
    for (id, state) in &second {
        assert_eq!(
            state["changes"],
            json!({}),
            "re-applying changed {id}: {state}"
        );
    }
}

#[tokio::test]
async fn deployed_logtail_answers_version_through_cmd_run() {
    let s = stack();
    let call = chunk(
        "cmd.run",
        json!([[s.get("LOGTAIL_BIN"), "--version"]]),
        Some(pins()),
    );
    let reply = run(User::Deploy, call).await;
    assert_allowed(&reply, "deploy: cmd.run [logtail, --version]");
    let ret = reply.minion(s.get("MINION_ID"));
    assert_eq!(ret["retcode"], 0, "{ret}");
    let out = ret["ret"]
        .as_str()
        .unwrap_or_else(|| panic!("cmd.run returned no text: {ret}"));
    assert!(
        out.starts_with("logtail "),
        "unexpected --version output {out:?}"
    );
}

#[test]
fn deployed_binary_is_byte_identical_to_the_static_musl_build() {
    let s = stack();
    let deployed = std::fs::read(s.path("LOGTAIL_BIN")).expect("the state installed LOGTAIL_BIN");
    let built = std::fs::read(s.path("LOGTAIL_MUSL")).expect("scripts/test.sh built LOGTAIL_MUSL");
    assert!(
        deployed == built,
        "the deployed logtail differs from {}",
        s.get("LOGTAIL_MUSL")
    );
    let mode = std::fs::metadata(s.path("LOGTAIL_BIN"))
        .expect("stat LOGTAIL_BIN")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    let out = std::process::Command::new("file")
        .arg("-b")
        .arg(s.path("LOGTAIL_BIN"))
        .output()
        .expect("`file` is installed by scripts/test.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("statically linked") || text.contains("static-pie linked"),
        "`file` does not call the deployed logtail static: {text}"
    );
}

#[test]
fn logtail_config_on_the_minion_is_private_and_holds_the_tailer_credentials() {
    let s = stack();
    let meta = std::fs::metadata(s.path("LOGTAIL_CONFIG")).expect("the state wrote LOGTAIL_CONFIG");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    let text = std::fs::read_to_string(s.path("LOGTAIL_CONFIG")).expect("read LOGTAIL_CONFIG");
    let config: toml::Table = toml::from_str(&text).expect("the logtail config is valid TOML");
    assert_eq!(
        config["redis_url"].as_str(),
        Some(s.get("REDIS_URL_TAILER"))
    );
    let globs: Vec<&str> = config["allowed_paths"]
        .as_array()
        .expect("allowed_paths")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        globs,
        vec!["/var/log/**".to_owned(), format!("{}/**", s.get("LOG_DIR"))]
    );
    assert!(
        config["lock_dir"]
            .as_str()
            .is_some_and(|d| d.starts_with(s.get("STACK_DIR"))),
        "lock_dir outside the stack: {config:?}"
    );
}

#[tokio::test]
async fn deploy_is_denied_everything_but_its_own_calls() {
    let s = stack();
    let reply = run(
        User::Deploy,
        chunk("cmd.run", json!([["/bin/sh", "-c", "id"]]), Some(pins())),
    )
    .await;
    assert_denied(&reply, "deploy: cmd.run [/bin/sh, -c, id]");
    let reply = run(User::Deploy, chunk("state.apply", json!(["other"]), None)).await;
    assert_denied(&reply, "deploy: state.apply other");
    let reply = run(
        User::Deploy,
        chunk(
            "file.file_exists",
            json!([format!("{}/app.log", s.get("LOG_DIR"))]),
            None,
        ),
    )
    .await;
    assert_denied(&reply, "deploy: file.file_exists");
}

/// Security review finding 9: the stack sent the deploy password inside
/// every lowstate chunk, and Salt kept it in world-readable job-cache files.
/// Now every caller logs in once and sends a token, and Salt's tree is 0700.
#[tokio::test]
async fn no_salt_password_lands_in_salts_files_and_its_tree_is_private() {
    // A deploy call first, so there is a fresh job load to search.
    let reply = run(User::Deploy, chunk("test.ping", json!([]), None)).await;
    assert_allowed(&reply, "test.ping as deploy");
    let s = stack();
    let run_dir = s.path("STACK_DIR").join("run");
    let mode = std::fs::metadata(&run_dir)
        .expect("run dir")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "{} is private: {mode:o}",
        run_dir.display()
    );
    let secrets = [
        s.get("SALT_DEPLOY_PASSWORD"),
        s.get("SALT_LOGVIEW_PASSWORD"),
    ];
    let mut searched = 0usize;
    // Job loads (every call's arguments). Pillar secrets (the tailer's and
    // saltgate's) are in the master's pillar cache by design, protected by
    // the 0700 tree like the master's keys.
    let mut stack_dirs = vec![run_dir.join("cache/master/jobs")];
    while let Some(dir) = stack_dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack_dirs.push(path);
            } else if meta.is_file() && meta.len() < 16 << 20 {
                let bytes = std::fs::read(&path).unwrap_or_default();
                searched += 1;
                for secret in secrets {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                        "a Salt password is in {}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(searched > 0, "Salt's job cache holds files to search");
}
