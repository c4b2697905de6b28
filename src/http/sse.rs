//! `GET /sse/{ticket}`: the viewer's Server-Sent Events stream, for clients
//! without WebSocket. Same JSON messages as `data:`, the entry id as `id:`,
//! `Last-Event-ID` (or `?after=`) resumes, comment lines keep it alive.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::stream_request::{SseRequest, StreamRequest};
use super::AppState;
use crate::stream::access::AccessError;

/// The SSE route.
pub fn router() -> Router<AppState> {
    Router::new().route("/sse/{ticket}", get(sse))
}

async fn sse(
    State(state): State<AppState>,
    StreamRequest { grant, after, .. }: StreamRequest<SseRequest>,
) -> Result<Response, ApiError> {
    let settings = state.settings.clone();
    let sub = state
        .hub
        .clone()
        .subscribe(&grant.stream, after)
        .map_err(AccessError::from)?;
    let metrics = state.metrics.clone();
    // Dropped with the event stream: the detach record.
    let present = grant.audit_viewer(state.orchestrator.audit_log(), "sse");
    let events = futures_util::stream::unfold(
        (sub, metrics, present),
        |(mut sub, metrics, present)| async move {
            let out = sub.next().await?;
            metrics.sent(out.lines, out.json.len() as u64);
            let mut event = Event::default().data(out.json.as_str());
            if let Some(id) = out.id {
                event = event.id(id.to_string());
            }
            Some((Ok::<_, Infallible>(event), (sub, metrics, present)))
        },
    );
    let keep_alive =
        KeepAlive::new().interval(Duration::from_secs(settings.viewer.heartbeat_secs.max(1)));
    let mut response = Sse::new(events).keep_alive(keep_alive).into_response();
    // Tell nginx not to buffer the stream.
    response.headers_mut().insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    Ok(response)
}
