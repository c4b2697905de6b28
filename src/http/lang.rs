//! The language of a request (`i18n::choose`: `?lang=`, then the
//! `logview_lang` cookie the page switch sets, then `Accept-Language`), as a
//! layer over every route: it puts the [`Lang`] in the request's extensions
//! (handlers take it as an extractor), tells an `ApiError`'s JSON answer
//! again in that language (its `field` and status unchanged), and remembers
//! an explicit `?lang=` in the cookie.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_LENGTH, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::error::Localized;
use crate::i18n::{choose, Lang};

/// Name of the cookie holding the chosen language.
pub const COOKIE_NAME: &str = "logview_lang";

/// `?lang=` of a query string, if any.
fn query_lang(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .map(|(_, v)| v)
}

/// The `logview_lang` cookie, if any.
fn cookie_lang(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v)
}

/// The language of a request from its query and headers.
pub fn of_request(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    choose(query_lang(query), cookie_lang(headers), accept)
}

/// The layer: see the module comment.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let lang = of_request(req.uri().query(), req.headers());
    let explicit = query_lang(req.uri().query()).and_then(Lang::from_tag);
    req.extensions_mut().insert(lang);
    let mut resp = next.run(req).await;
    if lang != Lang::En {
        if let Some(localized) = resp.extensions().get::<Localized>().cloned() {
            let (mut parts, _) = resp.into_parts();
            parts.headers.remove(CONTENT_LENGTH);
            let body = localized.body(lang).to_string();
            resp = Response::from_parts(parts, Body::from(body));
        }
    }
    if let Some(chosen) = explicit {
        let cookie = format!(
            "{COOKIE_NAME}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax",
            chosen.tag()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(match parts.extensions.get::<Lang>() {
            Some(lang) => *lang,
            None => of_request(parts.uri.query(), &parts.headers),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_beats_cookie_beats_header() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("zh-CN,zh;q=0.9"));
        assert_eq!(of_request(None, &h), Lang::ZhCn);
        h.insert(COOKIE, HeaderValue::from_static("a=b; logview_lang=en"));
        assert_eq!(of_request(None, &h), Lang::En);
        assert_eq!(of_request(Some("x=1&lang=zh-CN"), &h), Lang::ZhCn);
        assert_eq!(of_request(Some("lang=klingon"), &h), Lang::En);
    }
}
