//! `POST /v1/resolve`: a `[targets.NAME]` of the GATE's own settings
//! resolved to literal minion ids. The client sends only the NAME
//! (`{"principal", "target": NAME}`); the expression and its type come from
//! the gate's configuration, so a client holding a gate token can never make
//! the gate target a free expression. One `test.ping` with the expression,
//! the gate's short per-call timeouts and `full_return`; the answer is
//! `{"target", "minions": {ID: "answered"|"no_return"}, "waited_secs"}`.
//! An unknown name is refused (403 naming the field `target`). The
//! resolution itself is only a ping and is answered whatever its size: the
//! client words the `limits.max_fleet` refusal, and every list call the gate
//! forwards afterwards is bounded by the gate's own `limits.max_fleet`
//! (`shape_check.rs`). Every request with a valid token is audited (action
//! `resolve`, or `refused`).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::{client_name, client_principal, principal_of, GateError, GateState, MAX_BODY_BYTES};
use crate::audit::{AuditRecord, Principal};
use crate::settings::is_target_name;

/// The handler of `POST /v1/resolve`.
pub(super) async fn resolve(
    State(state): State<GateState>,
    req: Request,
) -> Result<Response, GateError> {
    let (parts, body) = req.into_parts();
    let client = client_name(&state.settings, &parts.headers).inspect_err(|e| {
        tracing::warn!(path = "/v1/resolve", error = %e, "saltgate refused an unauthenticated call");
    })?;
    let bytes = axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES)
        .await
        .map_err(|_| GateError::TooLarge(MAX_BODY_BYTES))?;
    let (who, name) = match parse(&bytes, &state) {
        Ok(pair) => pair,
        Err(refused) => {
            let (who, name, e) = *refused;
            let who = who.unwrap_or_else(|| client_principal(&client));
            record(
                &state,
                "refused",
                &who,
                &client,
                name.as_deref(),
                None,
                &e.to_string(),
            )
            .await;
            return Err(e);
        }
    };
    let result = state.salt.resolve_direct(&name).await;
    let (outcome, answer) = match result {
        Ok(r) => {
            let down: Vec<&str> = r
                .minions
                .iter()
                .filter(|(_, ok)| !**ok)
                .map(|(m, _)| m.as_str())
                .collect();
            let outcome = format!(
                "ok: {} minions, {} did not answer{}",
                r.minions.len(),
                down.len(),
                if down.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", down.join(","))
                }
            );
            (outcome, Ok(r))
        }
        Err(e) => (format!("failed: {e}"), Err(GateError::Upstream(e))),
    };
    let ids = answer
        .as_ref()
        .ok()
        .map(|r| r.minions.keys().cloned().collect::<Vec<_>>().join(","));
    tracing::info!(client = %client, who = ?who.describe(), target = %name, outcome = %outcome, "saltgate resolve");
    record(
        &state,
        "resolve",
        &who,
        &client,
        Some(&name),
        ids.as_deref(),
        &outcome,
    )
    .await;
    let r = answer?;
    Ok(Json(r.to_json(&name)).into_response())
}

type Refused = Box<(Option<Principal>, Option<String>, GateError)>;

/// `{"principal", "target": NAME}` with NAME one of the gate's `[targets.*]`.
fn parse(bytes: &[u8], state: &GateState) -> Result<(Principal, String), Refused> {
    let refused = |m: String| GateError::Refused(m);
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|_| Box::new((None, None, refused("the body must be JSON".into()))))?;
    let obj = v
        .as_object()
        .ok_or_else(|| Box::new((None, None, refused("the body must be a JSON object".into()))))?;
    if let Some(k) = obj.keys().find(|k| *k != "principal" && *k != "target") {
        let e = refused(format!(
            "the key {k:?} is not allowed (allowed: principal, target)"
        ));
        return Err(Box::new((None, None, e)));
    }
    let who = principal_of(obj).map_err(|e| Box::new((None, None, e)))?;
    let name = match obj.get("target") {
        Some(Value::String(n)) if is_target_name(n) => n.clone(),
        _ => {
            let e = refused(
                "target: must be a [targets.*] name (1 to 64 characters of a-z, 0-9, '_', '-'); a Salt expression is never accepted".into(),
            );
            return Err(Box::new((Some(who), None, e)));
        }
    };
    if !state.settings.targets.contains_key(&name) {
        let known: Vec<&str> = state.settings.targets.keys().map(String::as_str).collect();
        let e = refused(format!(
            "target: {name:?} is not a [targets.*] name of saltgate (known: {})",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
        return Err(Box::new((Some(who), Some(name), e)));
    }
    Ok((who, name))
}

async fn record(
    state: &GateState,
    action: &str,
    who: &Principal,
    client: &str,
    target: Option<&str>,
    minions: Option<&str>,
    outcome: &str,
) {
    let mut rec = AuditRecord::now("saltgate", action, who, outcome).on(minions, None, None);
    rec.client = Some(client.to_owned());
    rec.target = target.map(str::to_owned);
    state.audit.record(&rec).await;
}
