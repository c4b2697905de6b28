//! The security headers of every page and asset: a strict
//! Content-Security-Policy (scripts, styles and connections only from
//! logview itself; framing only by `server.frame_ancestors`), nosniff,
//! no referrer, and no caching of pages that carry tickets or form tokens.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::HeaderValue;
use axum::response::Response;

use crate::http::origin::origin_of;
use crate::settings::Settings;

/// What a page needs beyond the base policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// A page that embeds the viewer in an iframe (the ops page).
    EmbedsViewer,
    /// Any other page (viewer, error page).
    Plain,
}

/// The WebSocket origin (`ws(s)://host[:port]`) matching `public_url`.
pub fn ws_origin(public_url: &str) -> Option<String> {
    let origin = origin_of(public_url)?;
    if let Some(rest) = origin.strip_prefix("https://") {
        Some(format!("wss://{rest}"))
    } else {
        origin
            .strip_prefix("http://")
            .map(|rest| format!("ws://{rest}"))
    }
}

/// `frame-ancestors` sources: the setting, plus `'self'` so the ops page can
/// always show the viewer in its own frame (unless framing is off entirely).
/// Anything but plain CSP source tokens falls back to `'self'`.
fn frame_ancestors(setting: &str) -> String {
    let tokens: Vec<&str> = setting.split_whitespace().collect();
    let clean = !tokens.is_empty()
        && tokens.iter().all(|t| {
            t.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '\'' | ':' | '/' | '.' | '-' | '*' | '_')
            })
        });
    if !clean {
        return "'self'".to_owned();
    }
    if tokens.contains(&"'none'") || tokens.contains(&"'self'") {
        tokens.join(" ")
    } else {
        format!("'self' {}", tokens.join(" "))
    }
}

/// The Content-Security-Policy of a page.
pub fn content_security_policy(settings: &Settings, kind: PageKind) -> String {
    let ws = ws_origin(settings.server.public_url.as_str())
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let frames = match kind {
        PageKind::EmbedsViewer => " frame-src 'self';",
        PageKind::Plain => "",
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'{ws}; \
         img-src 'self';{frames} frame-ancestors {}; base-uri 'none'; form-action 'self'",
        frame_ancestors(&settings.server.frame_ancestors)
    )
}

/// Adds the security headers to `response`. `page` is `Some` for HTML pages
/// (which also get their CSP and `no-store`), `None` for assets.
pub fn with_headers(mut response: Response, page: Option<(&Settings, PageKind)>) -> Response {
    let h = response.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    let csp = match page {
        Some((settings, kind)) => {
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            content_security_policy(settings, kind)
        }
        None => "default-src 'none'; frame-ancestors 'none'; base-uri 'none'".to_owned(),
    };
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(CONTENT_SECURITY_POLICY, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public_url: &str, ancestors: &str) -> Settings {
        let mut s = Settings::shipped();
        s.server.public_url = public_url.parse().expect("a URL");
        s.server.frame_ancestors = ancestors.to_owned();
        s
    }

    #[test]
    fn the_policy_is_strict_and_names_the_websocket_origin() {
        let s = settings(
            "https://ops.example.com/logview/",
            "'self' https://cmdb.example.com",
        );
        let csp = content_security_policy(&s, PageKind::Plain);
        assert_eq!(
            csp,
            "default-src 'none'; script-src 'self'; style-src 'self'; \
             connect-src 'self' wss://ops.example.com; img-src 'self'; \
             frame-ancestors 'self' https://cmdb.example.com; base-uri 'none'; form-action 'self'"
        );
        assert!(!csp.contains("unsafe"));
        let ops = content_security_policy(&s, PageKind::EmbedsViewer);
        assert!(ops.contains("frame-src 'self';"));
    }

    #[test]
    fn frame_ancestors_keeps_self_and_refuses_header_injection() {
        assert_eq!(
            frame_ancestors("https://portal.example.com"),
            "'self' https://portal.example.com"
        );
        assert_eq!(frame_ancestors("'none'"), "'none'");
        assert_eq!(frame_ancestors("x; script-src *"), "'self'");
        assert_eq!(frame_ancestors(""), "'self'");
    }

    #[test]
    fn origins_are_derived_from_the_public_url() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/"),
            Some("http://127.0.0.1:8080".into())
        );
        assert_eq!(
            ws_origin("http://127.0.0.1:8080/a/b"),
            Some("ws://127.0.0.1:8080".into())
        );
        assert_eq!(
            ws_origin("https://Ops.Example.com"),
            Some("wss://ops.example.com".into())
        );
        assert_eq!(
            ws_origin("https://ops.example.com:443/"),
            Some("wss://ops.example.com".into())
        );
        assert_eq!(ws_origin("https://user@host/"), None);
    }
}
