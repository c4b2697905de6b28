//! The fleet side of the JSON API (docs/api.md, docs/fleet.md):
//! `POST /api/tail` with `target` (a `[targets.*]` name) or `minion_ids` (a
//! list) in place of `minion_id`, answered with the fleet viewer's URL and
//! every minion's outcome; and `GET /api/targets`, the configured names.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::api::Fields;
use super::auth::ApiClient;
use super::error::ApiError;
use super::state::AppState;
use crate::audit::Principal;
use crate::i18n::{Lang, Text};
use crate::session::{FleetRequest, FleetTarget};
use crate::settings::{is_target_name, Settings};
use crate::target::{InputError, LineCount, LogPath, MinionId};

/// The three ways to name minions, in the order the error lists them.
const WHICH: [&str; 3] = ["minion_id", "target", "minion_ids"];

/// Which of `minion_id`, `target`, `minion_ids` the body gives: `None` when
/// it is exactly `minion_id` or nothing (the single tail answers for
/// those), the fleet field otherwise; more than one is refused, naming them.
pub fn fleet_field(fields: &Fields) -> Result<Option<&'static str>, ApiError> {
    let given: Vec<&'static str> = WHICH.into_iter().filter(|f| fields.is_given(f)).collect();
    match given.as_slice() {
        [] | ["minion_id"] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(ApiError::BadRequest {
            message: Text::new("input.fleet.which").arg("given", many.join(", ")),
            field: Some(many[1]),
        }),
    }
}

/// Validates a fleet request's fields: the target name or the id list, the
/// path (against `tail.allowed_paths`) and `line_count`.
pub fn fleet_request(
    settings: &Settings,
    which: &'static str,
    fields: &Fields,
) -> Result<FleetRequest, ApiError> {
    let lines = fields.text("line_count")?;
    let line_count = LineCount::parse(
        lines.as_deref(),
        settings.tail.default_lines,
        settings.tail.max_lines,
    )?;
    let target = if which == "target" {
        let name = fields.text("target")?.unwrap_or_default();
        if !is_target_name(&name) {
            let t = Text::new("input.fleet.target_name").arg("value", format!("{name:?}"));
            return Err(InputError::new("target", t).into());
        }
        FleetTarget::Named(name)
    } else {
        FleetTarget::Ids(minion_ids(settings, fields.raw("minion_ids"))?)
    };
    let path = fields.text("log_path")?.unwrap_or_default();
    let path = LogPath::parse(&path, &settings.tail.allowed_paths)?;
    Ok(FleetRequest {
        target,
        path,
        line_count,
    })
}

/// `minion_ids`: a JSON list of id strings, or one string of ids separated
/// by commas (forms); 1 to `limits.max_fleet`, each a literal id, no
/// duplicates, not local mode's host id. Errors name `minion_ids[i]`.
pub fn minion_ids(settings: &Settings, raw: Option<&Value>) -> Result<Vec<MinionId>, InputError> {
    let bad_type = || InputError::new("minion_ids", Text::new("input.fleet.ids_type"));
    let items: Vec<String> = match raw {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad_type))
            .collect::<Result<_, _>>()?,
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => return Err(bad_type()),
    };
    let max = settings.limits.max_fleet;
    if items.is_empty() {
        let t = Text::new("input.fleet.ids_empty").arg("max", max);
        return Err(InputError::new("minion_ids", t));
    }
    if items.len() > max {
        let t = Text::new("input.fleet.ids_too_many")
            .arg("count", items.len())
            .arg("max", max);
        return Err(InputError::new("minion_ids", t));
    }
    let mut ids: Vec<MinionId> = Vec::with_capacity(items.len());
    for (index, raw) in items.iter().enumerate() {
        let id = MinionId::parse(raw).map_err(|e| {
            let t = Text::new("input.fleet.id_bad")
                .arg("index", index)
                .arg("reason", e.message);
            InputError::new("minion_ids", t)
        })?;
        let quoted = format!("{raw:?}");
        if ids.contains(&id) {
            let t = Text::new("input.fleet.id_twice")
                .arg("index", index)
                .arg("value", quoted);
            return Err(InputError::new("minion_ids", t));
        }
        if settings.local.enabled && id.as_str() == settings.local.host_id {
            let t = Text::new("input.fleet.id_local")
                .arg("index", index)
                .arg("value", quoted);
            return Err(InputError::new("minion_ids", t));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Starts the fleet view and answers `{"success": true, "url", "ticket",
/// "started", "of", "minions", "message"}` in the request's language.
pub async fn tail_fleet(
    state: &AppState,
    which: &'static str,
    fields: &Fields,
    who: &Principal,
    lang: Lang,
) -> Result<Response, ApiError> {
    let req = match fleet_request(&state.settings, which, fields) {
        Ok(req) => req,
        Err(ApiError::Session(e)) => {
            if let crate::session::SessionError::Input(input) = *e {
                let named = fields.text(which).ok().flatten().unwrap_or_default();
                let path = fields.text("log_path").ok().flatten().unwrap_or_default();
                let raw = (named.as_str(), path.as_str());
                return Err(state
                    .orchestrator
                    .tail_refused(raw, who, input)
                    .await
                    .into());
            }
            return Err(ApiError::Session(e));
        }
        Err(e) => return Err(e),
    };
    let started = state.orchestrator.start_fleet(req, who).await?;
    let mut body = started.report.to_json(lang);
    body["success"] = json!(true);
    body["url"] = json!(started.url);
    body["ticket"] = json!(started.ticket);
    Ok(Json(body).into_response())
}

/// `GET /api/targets`: `{"targets": [{"name", "description", "type"}]}`.
/// The expressions are not listed: nobody sends one, and a portal needs
/// only the names to offer.
pub async fn targets(State(state): State<AppState>, _client: ApiClient) -> Json<Value> {
    let list: Vec<Value> = state
        .settings
        .targets
        .iter()
        .map(|(name, t)| json!({"name": name, "description": t.description, "type": t.kind}))
        .collect();
    Json(json!({"targets": list, "max_fleet": state.settings.limits.max_fleet}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Settings {
        Settings::shipped()
    }

    #[test]
    fn ids_are_checked_one_by_one_naming_the_index() {
        let ok = minion_ids(&s(), Some(&json!(["web-01", "web-02"]))).expect("ok");
        assert_eq!(ok.len(), 2);
        let form = minion_ids(&s(), Some(&json!("web-01, web-02"))).expect("ok");
        assert_eq!(form, ok);
        let twice = minion_ids(&s(), Some(&json!(["a", "b", "c", "b"]))).expect_err("dup");
        assert!(
            twice.message.starts_with("minion_ids[3]:"),
            "{}",
            twice.message
        );
        let glob = minion_ids(&s(), Some(&json!(["a", "web-*"]))).expect_err("glob");
        assert!(
            glob.message.starts_with("minion_ids[1]:"),
            "{}",
            glob.message
        );
        assert_eq!(glob.field, "minion_ids");
        assert!(minion_ids(&s(), Some(&json!([]))).is_err());
        assert!(minion_ids(&s(), Some(&json!([1]))).is_err());
        assert!(minion_ids(&s(), Some(&json!({"a": 1}))).is_err());
    }

    #[test]
    fn exactly_one_way_of_naming_minions_is_taken() {
        let which = |v: Value| fleet_field(&Fields::of(v));
        assert_eq!(which(json!({"minion_id": "web-01"})).ok(), Some(None));
        assert_eq!(which(json!({})).ok(), Some(None));
        assert_eq!(which(json!({"target": "web"})).ok(), Some(Some("target")));
        assert_eq!(
            which(json!({"minion_id": "", "minion_ids": ["a"]})).ok(),
            Some(Some("minion_ids")),
            "an empty form input is not given"
        );
        match which(json!({"minion_id": "a", "target": "web"})) {
            Err(ApiError::BadRequest { message, field }) => {
                assert_eq!(field, Some("target"));
                assert!(
                    message.to_string().contains("minion_id, target"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn more_than_max_fleet_ids_are_refused_with_the_count() {
        let mut st = s();
        st.limits.max_fleet = 2;
        let e = minion_ids(&st, Some(&json!(["a", "b", "c"]))).expect_err("too many");
        assert!(
            e.message.contains("3") && e.message.contains("limits.max_fleet (2)"),
            "{}",
            e.message
        );
    }
}
