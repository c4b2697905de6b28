//! The checks in front of `/ws/{ticket}` and `/sse/{ticket}`, as one
//! extractor: the ticket (signature, expiry, the stream of its minion and
//! target) gives a [`Grant`], then the `Origin` (WebSocket), then the resume
//! id (`?after=`, or for SSE a `Last-Event-ID` header, which wins), never
//! below the session's floor. Refusals are [`ApiError`]s (`http/error.rs`
//! chooses their statuses).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::error::ApiError;
use super::origin::origin_of;
use crate::settings::Settings;
use crate::stream::access::{self, AccessError, Grant, ResumeQuery};
use crate::stream::fleet_access::{self, FleetCursor, FleetGrant};
use crate::stream::ViewStart;
use crate::tickets::TicketSigner;

/// How a transport differs in the checks.
pub trait Transport: Send + Sync + 'static {
    /// Whether a foreign `Origin` is refused (browsers always send one on a
    /// WebSocket handshake).
    const CHECKS_ORIGIN: bool;
    /// Whether `Last-Event-ID` is a resume id (SSE reconnects).
    const LAST_EVENT_ID: bool;
}

/// `/ws/{ticket}`.
#[derive(Debug)]
pub enum WebSocketRequest {}
impl Transport for WebSocketRequest {
    const CHECKS_ORIGIN: bool = true;
    const LAST_EVENT_ID: bool = false;
}

/// `/sse/{ticket}`.
#[derive(Debug)]
pub enum SseRequest {}
impl Transport for SseRequest {
    const CHECKS_ORIGIN: bool = false;
    const LAST_EVENT_ID: bool = true;
}

/// A checked request for a stream.
#[derive(Debug)]
pub struct StreamRequest<T> {
    /// What the ticket grants.
    pub grant: Grant,
    /// Where the viewer starts: strictly after the later of its resume id
    /// and the session's floor, less the lines its ticket skips.
    pub after: ViewStart,
    transport: PhantomData<T>,
}

impl<S, T> FromRequestParts<S> for StreamRequest<T>
where
    S: Send + Sync,
    T: Transport,
    TicketSigner: FromRef<S>,
    Arc<Settings>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ticket = ticket_of(parts, state).await?;
        let settings = Arc::<Settings>::from_ref(state);
        let grant = access::grant_for_ticket(&settings, &TicketSigner::from_ref(state), &ticket)?;
        if T::CHECKS_ORIGIN {
            check_origin(&settings, &parts.headers)?;
        }
        let resume = access::resume_id(resume_text::<T>(parts).as_deref())?;
        let after = grant.view_start(resume);
        Ok(StreamRequest {
            grant,
            after,
            transport: PhantomData,
        })
    }
}

/// A checked request for a fleet view's merged stream.
#[derive(Debug)]
pub struct FleetStreamRequest<T> {
    /// What the fleet ticket grants.
    pub grant: FleetGrant,
    /// Where each member starts (the client's cursor; members it lacks start
    /// at their session's start).
    pub cursor: FleetCursor,
    transport: PhantomData<T>,
}

impl<S, T> FromRequestParts<S> for FleetStreamRequest<T>
where
    S: Send + Sync,
    T: Transport,
    TicketSigner: FromRef<S>,
    Arc<Settings>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ticket = ticket_of(parts, state).await?;
        let settings = Arc::<Settings>::from_ref(state);
        let grant = fleet_access::fleet_grant_for_ticket(
            &settings,
            &TicketSigner::from_ref(state),
            &ticket,
        )?;
        if T::CHECKS_ORIGIN {
            check_origin(&settings, &parts.headers)?;
        }
        let raw = resume_text::<T>(parts);
        let cursor = FleetCursor::parse(raw.as_deref(), &grant)?;
        Ok(FleetStreamRequest {
            grant,
            cursor,
            transport: PhantomData,
        })
    }
}

/// The `{ticket}` path segment.
async fn ticket_of<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<String, ApiError> {
    let Path(ticket) = Path::<String>::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::BadRequest {
            message: crate::i18n::Text::new("api.bad_path").arg("detail", e.body_text()),
            field: None,
        })?;
    Ok(ticket)
}

/// The resume text as sent: for SSE a `Last-Event-ID` header wins, else
/// `?after=` (a malformed query string counts as none).
fn resume_text<T: Transport>(parts: &Parts) -> Option<String> {
    let header = T::LAST_EVENT_ID
        .then(|| parts.headers.get("last-event-id"))
        .flatten()
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    header.or_else(|| {
        Query::<ResumeQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.after)
    })
}

/// The origins allowed to open a WebSocket: `server.allowed_origins`, or the
/// origin of `server.public_url` when that list is empty.
fn allowed_origins(settings: &Settings) -> Vec<String> {
    if settings.server.allowed_origins.is_empty() {
        origin_of(settings.server.public_url.as_str())
            .into_iter()
            .collect()
    } else {
        settings
            .server
            .allowed_origins
            .iter()
            .map(|o| origin_of(o).unwrap_or_else(|| o.trim_end_matches('/').to_ascii_lowercase()))
            .collect()
    }
}

/// A foreign `Origin` is refused (cross-site WebSocket hijacking). Clients
/// that are not browsers send none and rely on the ticket alone.
fn check_origin(settings: &Settings, headers: &HeaderMap) -> Result<(), AccessError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
    if allowed_origins(settings).contains(&origin) {
        Ok(())
    } else {
        Err(AccessError::Origin(origin.chars().take(100).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_origins_are_the_browser_form_of_the_settings() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
        let mut s = Settings::load_with_env(&[path], []).expect("settings.toml loads");
        s.server.public_url = "https://Ops.example.com:443/logview/"
            .parse()
            .expect("a URL");
        s.server.allowed_origins.clear();
        assert_eq!(allowed_origins(&s), ["https://ops.example.com"]);
        s.server.allowed_origins = vec![
            "https://Portal.example.com:443/".into(),
            "http://[::1]:8080".into(),
        ];
        assert_eq!(
            allowed_origins(&s),
            ["https://portal.example.com", "http://[::1]:8080"]
        );
    }
}
