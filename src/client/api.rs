//! The two JSON calls the client makes, `POST /api/tail` and `POST /api/run`
//! (bearer token in a header, never in the URL), and where the stream of
//! the answer's viewer URL is (`/view/T` → `/sse/T`, a fleet's `/fleet/T` →
//! `/sse/fleet/T`).

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::Value;

use super::config::ClientConfig;
use super::error::ClientError;

/// How long a start may take: logview waits for the tailer's confirmation,
/// and a loaded minion can be slow. Only for the POST, not the stream.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// An HTTP client for one logview.
pub struct Api {
    http: reqwest::Client,
    config: ClientConfig,
}

impl Api {
    /// A client for `config` (connect timeout only: streams last).
    pub fn new(config: ClientConfig) -> Result<Api, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ClientError::Unreachable {
                url: config.url.clone(),
                detail: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(Api { http, config })
    }

    /// The HTTP client (shared with the stream).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `POST {url}api/{endpoint}` with `body`; the viewer URL of the answer,
    /// and the whole answer (a fleet start's per-minion outcomes).
    pub async fn start(
        &self,
        endpoint: &str,
        body: &Value,
    ) -> Result<(String, Value), ClientError> {
        let url = format!("{}api/{endpoint}", self.config.url);
        let resp = self
            .http
            .post(&url)
            .bearer_auth(self.config.token.expose_secret())
            .timeout(START_TIMEOUT)
            .json(body)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable {
                url: url.clone(),
                detail: error_chain(&e),
            })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| ClientError::Unreachable {
            url: url.clone(),
            detail: error_chain(&e),
        })?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status == 200 && json["success"] == Value::Bool(true) {
            if let Some(viewer) = json["url"].as_str() {
                return Ok((viewer.to_owned(), json.clone()));
            }
        }
        Err(answer_error(status, &json))
    }
}

/// The error of a failed answer, in logview's own words when it gave them.
pub fn answer_error(status: u16, json: &Value) -> ClientError {
    let message = json["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status} without a logview JSON answer"));
    let field = json["field"].as_str().map(str::to_owned);
    ClientError::from_status(status, field, message)
}

/// The SSE stream of a viewer URL: `…/view/TICKET` → `…/sse/TICKET`, a
/// fleet viewer's `…/fleet/TICKET` → `…/sse/fleet/TICKET`.
pub fn stream_url(viewer_url: &str) -> Result<String, ClientError> {
    let ticket_ok = |t: &str| !t.is_empty() && !t.contains('/');
    match viewer_url.rsplit_once("/view/") {
        Some((base, ticket)) if ticket_ok(ticket) => return Ok(format!("{base}/sse/{ticket}")),
        _ => {}
    }
    match viewer_url.rsplit_once("/fleet/") {
        Some((base, ticket)) if ticket_ok(ticket) => Ok(format!("{base}/sse/fleet/{ticket}")),
        _ => Err(ClientError::Server {
            status: 200,
            message: format!(
                "logview answered a viewer URL without /view/TICKET or /fleet/TICKET: {viewer_url}"
            ),
        }),
    }
}

/// What a fleet start's answer says about its minions, for stderr: logview's
/// own sentence (`started on 2 of 3: web-03 did not answer within 2 s`), else
/// one made from the per-minion outcomes.
pub fn fleet_outcomes(answer: &Value) -> String {
    if let Some(message) = answer["message"].as_str().filter(|m| !m.is_empty()) {
        return message.to_owned();
    }
    let minions = answer["minions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let in_view = |o: &str| o == "started" || o == "shared";
    let started = minions
        .iter()
        .filter(|m| in_view(m["outcome"].as_str().unwrap_or("")))
        .count();
    let mut text = format!("started on {started} of {}", minions.len());
    let failed: Vec<String> = minions
        .iter()
        .filter(|m| !in_view(m["outcome"].as_str().unwrap_or("")))
        .map(|m| {
            let why = m["message"]
                .as_str()
                .or(m["outcome"].as_str())
                .unwrap_or("?");
            format!("{}: {why}", m["minion"].as_str().unwrap_or("?"))
        })
        .collect();
    if !failed.is_empty() {
        text.push_str(": ");
        text.push_str(&failed.join("; "));
    }
    text
}

/// The minions in a fleet view, from the start's answer (`started`, `shared`).
pub fn fleet_members(answer: &Value) -> Vec<String> {
    answer["minions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter(|m| matches!(m["outcome"].as_str(), Some("started" | "shared")))
        .filter_map(|m| m["minion"].as_str().map(str::to_owned))
        .collect()
}

/// An error and its causes on one line (reqwest's top level says little).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_of_a_viewer_url_is_its_sse_route() {
        assert_eq!(
            stream_url("https://ops.example.com/logview/view/abc.def").expect("url"),
            "https://ops.example.com/logview/sse/abc.def"
        );
        assert_eq!(
            stream_url("https://ops.example.com/logview/fleet/abc.def").expect("url"),
            "https://ops.example.com/logview/sse/fleet/abc.def"
        );
        assert!(stream_url("https://ops.example.com/logview/").is_err());
        assert!(stream_url("https://ops.example.com/logview/fleet/").is_err());
    }

    #[test]
    fn a_fleet_answer_says_where_it_started_and_why_not_elsewhere() {
        let answer = serde_json::json!({"success": true, "url": "x", "minions": [
            {"minion": "web-01", "outcome": "started"},
            {"minion": "web-02", "outcome": "shared"},
            {"minion": "web-03", "outcome": "unreachable", "message": "did not answer within 2 s"},
        ]});
        assert_eq!(
            fleet_outcomes(&answer),
            "started on 2 of 3: web-03: did not answer within 2 s"
        );
        assert_eq!(fleet_members(&answer), ["web-01", "web-02"]);
        let mut worded = answer.clone();
        worded["message"] = "started on 2 of 3: web-03 did not answer within 2 s".into();
        assert_eq!(
            fleet_outcomes(&worded),
            "started on 2 of 3: web-03 did not answer within 2 s",
            "logview's own sentence wins"
        );
    }

    #[test]
    fn a_refusal_keeps_logviews_message_and_field() {
        let e = answer_error(
            400,
            &serde_json::json!({"success":false,"message":"path not allowed","field":"log_path"}),
        );
        assert!(
            matches!(e, ClientError::Refused { ref field, .. } if field.as_deref() == Some("log_path"))
        );
        let e = answer_error(502, &Value::Null);
        assert!(e.to_string().contains("HTTP 502"), "{e}");
    }
}
