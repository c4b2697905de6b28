//! When saltgate passes a call that salt-api's eauth ACL refuses (the gate's
//! settings and the ACL disagree), logview says so — naming the refused
//! function and the ACL — instead of reporting salt-api as unreachable.

use serde_json::json;

use crate::api_support::*;
use crate::support::gate::spawn_gate;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eauth_acl_refusal_behind_the_gate_is_named_not_called_unreachable() {
    // Gate and logview agree on a logtail config path the eauth ACL does not
    // allow: the gate's shape check passes `logtail stop`, salt-api refuses it.
    let other_config = "/etc/logtail-other/logtail.toml";
    let gate = spawn_gate(&[("LOGVIEW__SALT__LOGTAIL_CONFIG", other_config)]).await;
    let app = spawn_app(&[
        ("LOGVIEW__SALT__GATE_URL", gate.url.as_str()),
        ("LOGVIEW__SALT__LOGTAIL_CONFIG", other_config),
    ])
    .await;
    let minion = crate::support::stack::stack().get("MINION_ID").to_owned();
    let path = log_file(&format!("acl-disagree-{}.log", unique()), 3);
    let a = app
        .tail(&minion, path.to_str().expect("utf-8 path"), json!(1))
        .await;
    let msg = a.message();
    assert!(a.status >= 400, "{a:?}");
    assert!(
        msg.contains("Salt refused") && msg.contains("cmd.run_all"),
        "the refusal names Salt and the function: {a:?}"
    );
    assert!(!msg.contains("not reachable"), "{a:?}");
}
