//! Cross-site request protection of the ops page's forms: a signed
//! double-submit token (a random nonce in a `SameSite=Strict`, `HttpOnly`
//! cookie; the form carries `HMAC(key, nonce | user)`), plus a check that the
//! browser says the request came from logview's own origin.
//!
//! A hostile page can make the browser post the form with the operator's
//! HTTP Basic credentials, but it can read neither the cookie nor the page, and
//! cannot compute the HMAC without the key.

use axum::http::header::{COOKIE, ORIGIN};
use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::http::origin::origin_of;
use crate::settings::Settings;

type HmacSha256 = Hmac<Sha256>;

/// Name of the cookie holding the nonce.
pub const COOKIE_NAME: &str = "slv_csrf";
/// Bytes of randomness in a nonce.
const NONCE_BYTES: usize = 18;

/// Why a form post was refused. The text is shown to the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    /// The browser says the request came from another site.
    #[error("this form was sent from another site ({0}); open the ops page itself and try again")]
    ForeignOrigin(String),
    /// No nonce cookie, a malformed one, or a token that does not match it.
    #[error(
        "this form has expired or was not sent from the ops page; reload the page and try again"
    )]
    BadToken,
}

/// What a page must send along: the form token and, for a new browser, the cookie.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Value of the hidden `csrf` form field.
    pub token: String,
    /// A `Set-Cookie` header value when the browser has no valid nonce yet.
    pub set_cookie: Option<String>,
}

/// The key of the form tokens, derived from the ticket key so a separate
/// secret is not needed and a token can never pass as a ticket signature.
fn mac(settings: &Settings, nonce: &str, user: &str) -> HmacSha256 {
    let mut derive =
        HmacSha256::new_from_slice(settings.auth.ticket_key.expose_secret().as_bytes())
            .expect("HMAC-SHA256 accepts keys of any length");
    derive.update(b"logview ops-page form token v1");
    let key = derive.finalize().into_bytes();
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC-SHA256 accepts keys of any length");
    mac.update(nonce.as_bytes());
    mac.update(b"|");
    mac.update(user.as_bytes());
    mac
}

fn valid_nonce(nonce: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(nonce)
        .is_ok_and(|bytes| bytes.len() == NONCE_BYTES)
}

/// The nonce cookie of the request, if present and well formed.
fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && valid_nonce(value))
        .map(|(_, value)| value.to_owned())
}

/// Path of `public_url` (the cookie's scope), e.g. `/` or `/logview/`.
fn cookie_path(settings: &Settings) -> String {
    let base = settings.public_base();
    let after_scheme = base.split_once("://").map(|(_, r)| r).unwrap_or("");
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].to_owned(),
        None => "/".to_owned(),
    }
}

/// A token for the forms of a page shown to `user`, reusing the browser's nonce.
pub fn issue(settings: &Settings, headers: &HeaderMap, user: &str) -> Issued {
    let (nonce, set_cookie) = match cookie_nonce(headers) {
        Some(n) => (n, None),
        None => {
            let mut bytes = [0u8; NONCE_BYTES];
            rand::thread_rng().fill_bytes(&mut bytes);
            let n = URL_SAFE_NO_PAD.encode(bytes);
            let secure = if settings.server.public_url.is_https() {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE_NAME}={n}; Path={}; HttpOnly; SameSite=Strict{secure}",
                cookie_path(settings)
            );
            (n, Some(cookie))
        }
    };
    let token = URL_SAFE_NO_PAD.encode(mac(settings, &nonce, user).finalize().into_bytes());
    Issued { token, set_cookie }
}

/// Checks a form post by `user`: origin first, then the token against the cookie.
pub fn verify(
    settings: &Settings,
    headers: &HeaderMap,
    user: &str,
    token: &str,
) -> Result<(), CsrfError> {
    check_origin(settings, headers)?;
    let nonce = cookie_nonce(headers).ok_or(CsrfError::BadToken)?;
    let tag = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| CsrfError::BadToken)?;
    mac(settings, &nonce, user)
        .verify_slice(&tag)
        .map_err(|_| CsrfError::BadToken)
}

/// The `Origin` (or, without a usable one, `Sec-Fetch-Site`) must name logview
/// itself. `Origin: null` is what a browser sends on a plain form post from a
/// page with `Referrer-Policy: no-referrer` (ours), so it is not usable.
fn check_origin(settings: &Settings, headers: &HeaderMap) -> Result<(), CsrfError> {
    let origin = headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null");
    if let Some(origin) = origin {
        let ours = origin_of(settings.server.public_url.as_str());
        let allowed = ours.as_deref() == Some(origin.to_ascii_lowercase().as_str())
            || settings
                .server
                .allowed_origins
                .iter()
                .filter_map(|o| origin_of(o))
                .any(|o| o.eq_ignore_ascii_case(origin));
        return if allowed {
            Ok(())
        } else {
            Err(CsrfError::ForeignOrigin(origin.chars().take(100).collect()))
        };
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("cross-site") | Some("same-site") => {
            Err(CsrfError::ForeignOrigin("another site".to_owned()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn settings() -> Settings {
        let mut s = Settings::shipped();
        s.server.public_url = "https://ops.example.com/logview/".parse().expect("a URL");
        s
    }

    fn with_cookie(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap_or("");
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).expect("ascii"),
        );
        h.insert(ORIGIN, HeaderValue::from_static("https://ops.example.com"));
        h
    }

    #[test]
    fn an_issued_token_verifies_for_its_user_and_cookie_only() {
        let s = settings();
        let issued = issue(&s, &HeaderMap::new(), "ops");
        let cookie = issued.set_cookie.expect("a new browser gets a cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(cookie.contains("Path=/logview/") && cookie.contains("Secure"));
        let headers = with_cookie(&cookie);
        assert_eq!(verify(&s, &headers, "ops", &issued.token), Ok(()));
        assert_eq!(
            verify(&s, &headers, "mallory", &issued.token),
            Err(CsrfError::BadToken)
        );
        assert_eq!(
            verify(&s, &headers, "ops", "AAAA"),
            Err(CsrfError::BadToken)
        );
        let other = issue(&s, &HeaderMap::new(), "ops");
        assert_eq!(
            verify(&s, &headers, "ops", &other.token),
            Err(CsrfError::BadToken)
        );
    }

    #[test]
    fn a_browser_with_a_nonce_keeps_it() {
        let s = settings();
        let first = issue(&s, &HeaderMap::new(), "ops");
        let headers = with_cookie(&first.set_cookie.expect("cookie"));
        let second = issue(&s, &headers, "ops");
        assert!(second.set_cookie.is_none());
        assert_eq!(second.token, first.token);
    }

    #[test]
    fn a_post_without_cookie_or_from_another_origin_is_refused() {
        let s = settings();
        let issued = issue(&s, &HeaderMap::new(), "ops");
        let mut no_cookie = HeaderMap::new();
        no_cookie.insert(ORIGIN, HeaderValue::from_static("https://ops.example.com"));
        assert_eq!(
            verify(&s, &no_cookie, "ops", &issued.token),
            Err(CsrfError::BadToken)
        );

        let mut foreign = with_cookie(&issued.set_cookie.clone().expect("cookie"));
        foreign.insert(ORIGIN, HeaderValue::from_static("https://evil.example.net"));
        assert!(matches!(
            verify(&s, &foreign, "ops", &issued.token),
            Err(CsrfError::ForeignOrigin(_))
        ));

        let mut fetch_meta = with_cookie(&issued.set_cookie.expect("cookie"));
        fetch_meta.insert(ORIGIN, HeaderValue::from_static("null"));
        fetch_meta.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(matches!(
            verify(&s, &fetch_meta, "ops", &issued.token),
            Err(CsrfError::ForeignOrigin(_))
        ));
        // A same-origin form post under `Referrer-Policy: no-referrer`.
        fetch_meta.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert_eq!(verify(&s, &fetch_meta, "ops", &issued.token), Ok(()));

        // Configured origins are compared in the form browsers send.
        let mut s_ports = s.clone();
        s_ports.server.public_url = "https://ops.example.com:443/logview/"
            .parse()
            .expect("a URL");
        s_ports.server.allowed_origins = vec!["https://Portal.example.com:443/".to_owned()];
        let fresh = issue(&s_ports, &HeaderMap::new(), "ops");
        let cookie = fresh.set_cookie.expect("cookie");
        for sent in ["https://ops.example.com", "https://portal.example.com"] {
            let mut h = with_cookie(&cookie);
            h.insert(ORIGIN, HeaderValue::from_static(sent));
            assert_eq!(verify(&s_ports, &h, "ops", &fresh.token), Ok(()), "{sent}");
        }
    }
}
