//! Reads a viewer's SSE stream and survives dropped connections: reconnects
//! with backoff sending `Last-Event-ID` = the last entry id received (a fleet
//! stream: the cursor of each minion's last id, [`Position`]), and skips any
//! entry it already has, so the caller sees every retained entry once, in
//! order (per minion in a fleet stream).

use std::time::Duration;

use crate::stream::message::Message;

use super::api::{answer_error, error_chain};
use super::error::ClientError;
use super::position::{minion_of, Position};
use super::sse::SseParser;

/// The reconnect policy.
#[derive(Debug, Clone)]
pub struct Reconnect {
    /// Wait before the first reconnect; doubles each failure in a row.
    pub first_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
    /// Failures in a row (nothing received in between) before giving up.
    pub max_attempts: u32,
    /// A connection on which nothing arrives (not even a keep-alive comment)
    /// this long is treated as dropped.
    pub idle: Duration,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(15),
            max_attempts: 10,
            idle: Duration::from_secs(45),
        }
    }
}

/// What the caller wants after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep reading.
    Continue,
    /// The stream is over: stop with this exit code.
    Stop(u8),
}

/// How one connection ended.
enum Attempt {
    Stopped(u8),
    Broken { detail: String, progressed: bool },
}

/// What the caller is given: a message, and in a fleet stream its minion.
pub type OnMessage<'a> =
    dyn FnMut(Option<String>, Message<'static>) -> Result<Flow, ClientError> + 'a;

/// Follows `url` (a fleet stream when `fleet`) until `on_message` says stop
/// (its code is returned), a final refusal (401/403/404/400), or
/// `policy.max_attempts` failures in a row. `on_retry(attempt, delay, why)`
/// is told before each reconnect.
pub async fn follow(
    http: &reqwest::Client,
    url: &str,
    fleet: bool,
    policy: &Reconnect,
    on_message: &mut OnMessage<'_>,
    on_retry: &mut dyn FnMut(u32, Duration, &str) -> Result<(), ClientError>,
) -> Result<u8, ClientError> {
    let mut last = Position::new(fleet);
    let mut failures = 0u32;
    loop {
        match attempt(http, url, policy, &mut last, on_message).await? {
            Attempt::Stopped(code) => return Ok(code),
            Attempt::Broken { detail, progressed } => {
                failures = if progressed { 1 } else { failures + 1 };
                if failures > policy.max_attempts {
                    return Err(ClientError::StreamLost {
                        attempts: policy.max_attempts,
                        detail,
                    });
                }
                let delay = backoff(policy, failures);
                on_retry(failures, delay, &detail)?;
                tokio::time::sleep(delay).await;
            }
        }
    }
}

fn backoff(policy: &Reconnect, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    policy
        .first_delay
        .saturating_mul(factor)
        .min(policy.max_delay)
}

async fn attempt(
    http: &reqwest::Client,
    url: &str,
    policy: &Reconnect,
    last: &mut Position,
    on_message: &mut OnMessage<'_>,
) -> Result<Attempt, ClientError> {
    let mut req = http.get(url).header("Accept", "text/event-stream");
    if let Some(at) = last.resume_at() {
        req = req.header("Last-Event-ID", at);
    }
    let mut resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            // Without the URL: it carries the viewer ticket, which grants the stream.
            return Ok(Attempt::Broken {
                detail: error_chain(&e.without_url()),
                progressed: false,
            });
        }
    };
    let status = resp.status().as_u16();
    if status != 200 {
        let json = resp
            .text()
            .await
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(serde_json::Value::Null);
        let err = answer_error(status, &json);
        // Retry what may pass later (limits, shutdown, a proxy's 5xx).
        return match status {
            429 | 500..=599 => Ok(Attempt::Broken {
                detail: err.to_string(),
                progressed: false,
            }),
            _ => Err(err),
        };
    }
    let mut parser = SseParser::default();
    let mut progressed = false;
    loop {
        let chunk = match tokio::time::timeout(policy.idle, resp.chunk()).await {
            Err(_) => {
                let detail = format!("nothing received for {} s", policy.idle.as_secs());
                return Ok(Attempt::Broken { detail, progressed });
            }
            Ok(Err(e)) => {
                let detail = error_chain(&e.without_url());
                return Ok(Attempt::Broken { detail, progressed });
            }
            Ok(Ok(None)) => {
                let detail = "logview closed the stream".to_owned();
                return Ok(Attempt::Broken { detail, progressed });
            }
            Ok(Ok(Some(chunk))) => chunk,
        };
        for event in parser.feed(&chunk) {
            let Ok(message) = Message::parse(&event.data) else {
                continue;
            };
            progressed = true;
            let minion = match last {
                Position::Fleet(_) => minion_of(&event.data),
                Position::Stream(_) => None,
            };
            if !last.accept(event.id.as_deref(), minion.as_deref(), &message) {
                continue;
            }
            if let Flow::Stop(code) = on_message(minion, message)? {
                return Ok(Attempt::Stopped(code));
            }
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
