//! The words of every error an HTTP answer carries, by variant: a catalogue
//! [`Text`] (`locales/*.toml`, keys `api.*` and `input.*`), so the JSON
//! `message` and the error pages are told in the reader's language while the
//! `field` and the status stay the same. The English catalogue says what the
//! errors' `Display` says (`the_english_words_are_the_errors_own`), so logs
//! and English answers agree.

use serde_json::{json, Value};

use super::error::ApiError;
use super::pages::csrf::CsrfError;
use crate::i18n::{Lang, Text};
use crate::session::SessionError;
use crate::stream::access::{AccessError, CursorProblem};
use crate::stream::HubError;
use crate::tickets::TicketError;

/// What an `ApiError` answer says, kept on the response (an extension) so the
/// language layer (`http/lang.rs`) can tell it again in the request's language.
#[derive(Debug, Clone)]
pub struct Localized {
    /// The message.
    pub text: Text,
    /// The request field at fault.
    pub field: Option<&'static str>,
    /// A fleet start in which no minion joined: every minion's outcome,
    /// added to the body (`started`, `of`, `minions`) in the reader's language.
    pub fleet: Option<std::sync::Arc<crate::session::FleetReport>>,
}

impl Localized {
    /// The JSON body `{"success": false, "message", "field"?}` in `lang`.
    pub fn body(&self, lang: Lang) -> Value {
        let mut body = json!({"success": false, "message": self.text.render(lang)});
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        if let Some(report) = &self.fleet {
            let words =
                Text::new("api.session.fleet_none_started").arg("summary", report.summary_in(lang));
            body["message"] = json!(words.render(lang));
            if let Value::Object(parts) = report.to_json(lang) {
                for (k, v) in parts.into_iter().filter(|(k, _)| k != "message") {
                    body[k.as_str()] = v;
                }
            }
        }
        body
    }
}

impl ApiError {
    /// The words of this error.
    pub fn text(&self) -> Text {
        match self {
            ApiError::Session(e) => session(e),
            ApiError::BadRequest { message, .. } | ApiError::Unauthorized { message, .. } => {
                message.clone()
            }
            ApiError::Forbidden(t) | ApiError::LimitReached(t) => t.clone(),
            ApiError::TooLarge { limit } => Text::new("api.body.too_large").arg("limit", limit),
            ApiError::Access(e) => access(e),
            ApiError::Internal(_) => Text::new("api.internal"),
        }
    }
}

/// The words of a session that did not start.
pub fn session(e: &SessionError) -> Text {
    match e {
        SessionError::Input(e) => e.text.clone(),
        SessionError::MinionUnknown { minion } => {
            Text::new("api.session.minion_unknown").arg("minion", minion)
        }
        SessionError::MinionTimeout { minion, secs } => Text::new("api.session.minion_timeout")
            .arg("minion", minion)
            .arg("secs", secs),
        SessionError::FileMissing { minion, path } => Text::new("api.session.file_missing")
            .arg("minion", minion)
            .arg("path", path),
        SessionError::SaltUnavailable(_) => Text::new("api.session.salt_unavailable"),
        SessionError::SaltUnexpected(_) => Text::new("api.session.salt_unexpected"),
        SessionError::SaltLogin(_) => Text::new("api.session.salt_login"),
        SessionError::SaltRefused {
            function, minion, ..
        } => Text::new("api.session.salt_refused")
            .arg("function", function)
            .arg("minion", minion),
        SessionError::SaltFunction {
            minion, message, ..
        } => Text::new("api.session.salt_function")
            .arg("minion", minion)
            .arg("message", message),
        SessionError::NotStarted {
            minion,
            what,
            reason,
        } => Text::new("api.session.not_started")
            .arg("minion", minion)
            .arg("what", what)
            .arg("reason", reason),
        SessionError::Prepare {
            minion,
            path,
            reason,
        } => Text::new("api.session.prepare")
            .arg("minion", minion)
            .arg("path", path)
            .arg("reason", reason),
        SessionError::StartBusy { minion, path, secs } => Text::new("api.session.start_busy")
            .arg("minion", minion)
            .arg("path", path)
            .arg("secs", secs),
        SessionError::Redis(_) => Text::new("api.session.redis"),
        SessionError::Local(reason) => Text::new("api.session.local").arg("reason", reason),
        SessionError::UnknownTarget { name } => {
            Text::new("api.session.unknown_target").arg("name", name)
        }
        SessionError::TargetEmpty { name } => {
            Text::new("api.session.target_empty").arg("name", name)
        }
        SessionError::FleetTooLarge { field, count, max } => {
            Text::new("api.session.fleet_too_large")
                .arg("field", field)
                .arg("count", count)
                .arg("max", max)
        }
        SessionError::FleetNoneStarted(r) => {
            Text::new("api.session.fleet_none_started").arg("summary", r.summary())
        }
    }
}

/// The words of a refused stream or viewer link.
pub fn access(e: &AccessError) -> Text {
    match e {
        AccessError::Ticket(TicketError::Malformed) => Text::new("api.ticket.malformed"),
        AccessError::Ticket(TicketError::BadSignature) => Text::new("api.ticket.bad_signature"),
        AccessError::Ticket(TicketError::Expired) => Text::new("api.ticket.expired"),
        AccessError::ForeignStream => Text::new("api.ticket.foreign_stream"),
        AccessError::BadResumeId(bad) => {
            Text::new("api.stream.bad_resume_id").arg("value", format!("{:?}", bad.0))
        }
        AccessError::BadCursor { part, problem } => match problem {
            CursorProblem::NotAPair => Text::new("api.stream.cursor_not_a_pair"),
            CursorProblem::NotAMember => Text::new("api.stream.cursor_not_a_member"),
            CursorProblem::Twice => Text::new("api.stream.cursor_twice"),
        }
        .arg("part", format!("{part:?}")),
        AccessError::Origin(origin) => {
            Text::new("api.stream.origin").arg("origin", format!("{origin:?}"))
        }
        AccessError::Hub(HubError::TooManyStreams { limit }) => {
            Text::new("api.hub.too_many_streams").arg("limit", limit)
        }
        AccessError::Hub(HubError::TooManyViewers { limit }) => {
            Text::new("api.hub.too_many_viewers").arg("limit", limit)
        }
        AccessError::Hub(HubError::ShuttingDown) => Text::new("api.hub.shutting_down"),
        AccessError::Hub(HubError::BadRedisUrl(detail)) => {
            Text::new("api.hub.bad_redis_url").arg("detail", detail)
        }
    }
}

/// The words of a refused form post.
pub fn csrf(e: &CsrfError) -> Text {
    match e {
        CsrfError::ForeignOrigin(origin) => {
            Text::new("api.csrf.foreign_origin").arg("origin", origin)
        }
        CsrfError::BadToken => Text::new("api.csrf.bad_token"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::login::LoginError;
    use crate::salt_api::{SaltError, Unavailable};
    use crate::stream::BadEntryId;
    use crate::target::{LineCount, LogPath, MinionId};

    /// Each variant's English catalogue words are its `Display` (what the
    /// tests of the API and the logs expect), with the arguments filled.
    #[test]
    fn the_english_words_are_the_errors_own() {
        let m = || "web-01".to_owned();
        let salt = || SaltError::Unavailable {
            url: "http://x/".into(),
            reason: Unavailable::Connect,
        };
        let sessions = vec![
            SessionError::MinionUnknown { minion: m() },
            SessionError::MinionTimeout {
                minion: m(),
                secs: 3,
            },
            SessionError::FileMissing {
                minion: m(),
                path: "/var/log/x".into(),
            },
            SessionError::SaltUnavailable(salt()),
            SessionError::SaltUnexpected(salt()),
            SessionError::SaltLogin(salt()),
            SessionError::SaltRefused {
                function: "cmd.run_bg".into(),
                minion: m(),
                source: salt(),
            },
            SessionError::SaltFunction {
                minion: m(),
                message: "boom".into(),
                source: salt(),
            },
            SessionError::NotStarted {
                minion: m(),
                what: "/var/log/x".into(),
                reason: "silence".into(),
            },
            SessionError::Prepare {
                minion: m(),
                path: "/var/log/x".into(),
                reason: "r".into(),
            },
            SessionError::StartBusy {
                minion: m(),
                path: "/var/log/x".into(),
                secs: 71,
            },
            SessionError::Local("no logtail".into()),
            SessionError::UnknownTarget { name: "web".into() },
            SessionError::TargetEmpty { name: "web".into() },
            SessionError::FleetTooLarge {
                field: "target",
                count: 60,
                max: 50,
            },
        ];
        for e in sessions {
            assert_eq!(session(&e).to_string(), e.to_string());
        }
        let accesses = vec![
            AccessError::Ticket(TicketError::Malformed),
            AccessError::Ticket(TicketError::BadSignature),
            AccessError::Ticket(TicketError::Expired),
            AccessError::ForeignStream,
            AccessError::BadResumeId(BadEntryId("$x".into())),
            AccessError::Origin("https://evil.example".into()),
            AccessError::Hub(HubError::TooManyStreams { limit: 4 }),
            AccessError::Hub(HubError::TooManyViewers { limit: 5 }),
            AccessError::Hub(HubError::ShuttingDown),
            AccessError::Hub(HubError::BadRedisUrl("bad".into())),
        ];
        for e in accesses {
            assert_eq!(access(&e).to_string(), e.to_string());
        }
        for e in [
            CsrfError::ForeignOrigin("https://evil".into()),
            CsrfError::BadToken,
        ] {
            assert_eq!(csrf(&e).to_string(), e.to_string());
        }
        for e in [
            LoginError::Wrong,
            LoginError::Backoff { secs: 7 },
            LoginError::Busy,
        ] {
            assert_eq!(ApiError::from(e.clone()).to_string(), e.to_string());
        }
    }

    #[test]
    fn input_errors_keep_their_field_and_read_in_chinese() {
        let allowed = vec!["/var/log/**".to_owned()];
        let errors = [
            MinionId::parse("web 01").expect_err("space"),
            LogPath::parse("/etc/shadow", &allowed).expect_err("outside"),
            LineCount::parse(Some("x"), 10, 100).expect_err("nan"),
        ];
        for e in errors {
            let api = ApiError::from(e.clone());
            assert_eq!(api.field(), Some(e.field));
            let zh = Localized {
                text: api.text(),
                field: api.field(),
                fleet: None,
            }
            .body(Lang::ZhCn);
            let msg = zh["message"].as_str().expect("message");
            assert_ne!(msg, e.message);
            assert!(
                msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{msg}"
            );
            assert_eq!(zh["field"], e.field);
        }
    }
}
