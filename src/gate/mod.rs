//! saltgate: the only client of salt-api. It runs beside salt-api on the Salt
//! master (salt-api bound to 127.0.0.1), holds the salt-api credential, and
//! forwards exactly logview's call shapes ([`SaltCall`]) for clients holding
//! one of `gate.clients` tokens. Everything else is refused with 403 naming
//! what was refused; no other salt-api endpoint is reachable through it. Every
//! call, forwarded or refused, leaves one audit record.
//!
//! `POST /v1/call` takes `{"principal": {kind, name, on_behalf_of?},
//! "lowstate": [ONE chunk]}` and answers salt-api's JSON as it is.
//! `POST /v1/resolve` takes `{"principal", "target": NAME}` and resolves a
//! `[targets.NAME]` of the gate's own settings (`resolve.rs`).
//! `GET /healthz` (process up) and `GET /readyz` (salt-api answers) need no token.

mod error;
mod resolve;

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

pub use error::GateError;

use crate::audit::{AuditLog, AuditRecord, Principal};
use crate::salt_api::{SaltApi, SaltCall};
use crate::settings::Settings;

/// Largest request body saltgate reads (a chunk is well under 4 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest principal `kind`/`name` accepted.
const PRINCIPAL_FIELD_MAX: usize = 128;

/// What the handlers share.
#[derive(Clone)]
pub struct GateState {
    settings: Arc<Settings>,
    salt: SaltApi,
    audit: Arc<AuditLog>,
}

impl GateState {
    /// The gate over salt-api of `settings.salt`, auditing into `audit`.
    pub fn new(settings: Arc<Settings>, audit: Arc<AuditLog>) -> Result<GateState, GateError> {
        let salt = SaltApi::direct(&settings)?;
        Ok(GateState {
            settings,
            salt,
            audit,
        })
    }
}

/// The gate's routes; everything else answers 403.
pub fn router(state: GateState) -> Router {
    Router::new()
        .route("/v1/call", post(call))
        .route("/v1/resolve", post(resolve::resolve))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .fallback(not_reachable)
        .with_state(state)
}

/// Serves the gate on `listener` with the connection limits of `[http]`
/// (header-read and idle timeouts, connection cap) until `shutdown`
/// resolves; then lets in-flight calls finish for up to 5 s.
pub async fn serve(
    listener: TcpListener,
    state: GateState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = tokio_util::sync::CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        on_signal.cancel();
    });
    let limits = state.settings.http.clone();
    let connections = crate::http::conn::serve(listener, router(state), limits, stop).await;
    if tokio::time::timeout(std::time::Duration::from_secs(5), connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("saltgate calls still open 5 s after shutdown; exiting");
    }
    Ok(())
}

async fn not_reachable(req: Request) -> GateError {
    GateError::Refused(format!(
        "saltgate forwards only POST /v1/call and POST /v1/resolve; {} {} is not reachable through it",
        req.method(),
        req.uri().path()
    ))
}

async fn ready(State(state): State<GateState>) -> Response {
    match state.salt.ping().await {
        Ok(()) => Json(json!({"ready": true})).into_response(),
        Err(e) => (
            error::not_ready(),
            Json(json!({"ready": false, "error": e.to_string()})),
        )
            .into_response(),
    }
}

/// The client named by the bearer token, or why not (every token compared in constant time).
fn client_name(settings: &Settings, headers: &HeaderMap) -> Result<String, GateError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            GateError::Unauthorized(
                "send Authorization: Bearer TOKEN (a gate.clients token)".into(),
            )
        })?;
    let given = value.strip_prefix("Bearer ").ok_or_else(|| {
        GateError::Unauthorized("the Authorization header must be \"Bearer TOKEN\"".into())
    })?;
    let mut found = None;
    for c in &settings.gate.clients {
        if bool::from(c.token.expose_secret().as_bytes().ct_eq(given.as_bytes())) {
            found = Some(c.name.clone());
        }
    }
    found.ok_or_else(|| {
        GateError::Unauthorized("the bearer token is not one of gate.clients".into())
    })
}

/// `POST /v1/call`: authenticate, read at most [`MAX_BODY_BYTES`], check the
/// one chunk, forward the chunk rebuilt from the typed call, audit.
async fn call(State(state): State<GateState>, req: Request) -> Result<Response, GateError> {
    let (parts, body) = req.into_parts();
    // Requests without a valid client token are logged, not audited: the
    // trail records what clients asked, and an anonymous flood must not be
    // able to fill the audit file.
    let client = client_name(&state.settings, &parts.headers).inspect_err(|e| {
        tracing::warn!(path = "/v1/call", error = %e, "saltgate refused an unauthenticated call");
    })?;
    let bytes = axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES)
        .await
        .map_err(|_| GateError::TooLarge(MAX_BODY_BYTES))?;
    let (who, chunk) = match parse_body(&bytes) {
        Ok(pair) => pair,
        Err(e) => {
            let who = client_principal(&client);
            audit(&state, "refused", &who, Some(&client), None, &e.to_string()).await;
            return Err(e);
        }
    };
    let checked = SaltCall::from_chunk(&chunk, &state.settings);
    let (call, timeouts) = match checked {
        Ok(pair) => pair,
        Err(refusal) => {
            let e = GateError::Refused(refusal.to_string());
            tracing::warn!(client = %client, who = ?who.describe(), refusal = ?refusal.to_string(), "saltgate refused a call");
            audit(&state, "refused", &who, Some(&client), None, &e.to_string()).await;
            return Err(e);
        }
    };
    let forwarded = call
        .to_chunk(&state.settings, timeouts)
        .map_err(|r| GateError::Refused(r.to_string()))?;
    let result = state.salt.forward(&forwarded, timeouts).await;
    let outcome = match &result {
        Ok(_) => "ok: forwarded to salt-api".to_owned(),
        Err(e) => format!("failed: {e}"),
    };
    tracing::info!(client = %client, who = ?who.describe(), function = call.function(), minions = %call.minion_list(), outcome = %outcome, "saltgate call");
    audit(
        &state,
        call.action(),
        &who,
        Some(&client),
        Some(&call),
        &outcome,
    )
    .await;
    Ok(Json(result?).into_response())
}

fn client_principal(client: &str) -> Principal {
    Principal {
        kind: "gate_client".into(),
        name: client.to_owned(),
        on_behalf_of: None,
    }
}

async fn audit(
    state: &GateState,
    action: &str,
    who: &Principal,
    client: Option<&str>,
    call: Option<&SaltCall>,
    outcome: &str,
) {
    let mut rec = AuditRecord::now("saltgate", action, who, outcome);
    rec.client = client.map(str::to_owned);
    if let Some(c) = call {
        rec = rec.on(Some(&c.minion_list()), c.path(), c.command());
    }
    state.audit.record(&rec).await;
}

/// `{"principal": {...}, "lowstate": [chunk]}` with exactly one chunk.
fn parse_body(bytes: &[u8]) -> Result<(Principal, Value), GateError> {
    let refused = |m: &str| GateError::Refused(m.to_owned());
    let v: Value = serde_json::from_slice(bytes).map_err(|_| refused("the body must be JSON"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| refused("the body must be a JSON object"))?;
    if let Some(k) = obj.keys().find(|k| *k != "principal" && *k != "lowstate") {
        return Err(GateError::Refused(format!(
            "the key {k:?} is not allowed (allowed: principal, lowstate)"
        )));
    }
    let who = principal_of(obj)?;
    match obj.get("lowstate") {
        Some(Value::Array(chunks)) if chunks.len() == 1 => Ok((who, chunks[0].clone())),
        Some(Value::Array(chunks)) => Err(GateError::Refused(format!(
            "lowstate must hold exactly one chunk, not {}",
            chunks.len()
        ))),
        _ => Err(refused("lowstate must be a list of exactly one chunk")),
    }
}

/// The `principal` of a request body: who asked, checked.
fn principal_of(obj: &serde_json::Map<String, Value>) -> Result<Principal, GateError> {
    let who: Principal = obj
        .get("principal")
        .cloned()
        .and_then(|p| serde_json::from_value(p).ok())
        .ok_or_else(|| {
            GateError::Refused(
                "principal must be {\"kind\", \"name\", \"on_behalf_of\"?} (who asked)".into(),
            )
        })?;
    let fields = [Some(&who.kind), Some(&who.name), who.on_behalf_of.as_ref()];
    if fields.iter().flatten().any(|f| {
        f.is_empty() || f.chars().count() > PRINCIPAL_FIELD_MAX || f.chars().any(char::is_control)
    }) {
        return Err(GateError::Refused(format!(
            "principal fields must be 1 to {PRINCIPAL_FIELD_MAX} printable characters"
        )));
    }
    Ok(who)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).expect("json")
    }

    #[test]
    fn the_body_must_hold_a_principal_and_exactly_one_chunk() {
        let who = json!({"kind": "api_token", "name": "token-1"});
        let ok = parse_body(&body(json!({"principal": who, "lowstate": [{"fun": "x"}]})));
        assert!(ok.is_ok());
        for bad in [
            json!({"principal": who, "lowstate": [{}, {}]}),
            json!({"principal": who, "lowstate": []}),
            json!({"principal": who, "lowstate": {}}),
            json!({"lowstate": [{}]}),
            json!({"principal": {"kind": "x", "name": "a\nb"}, "lowstate": [{}]}),
            json!({"principal": who, "lowstate": [{}], "username": "deploy"}),
            json!([{"fun": "x"}]),
        ] {
            assert!(
                matches!(parse_body(&body(bad.clone())), Err(GateError::Refused(_))),
                "{bad}"
            );
        }
    }
}
