//! `HttpUrl`: an `http://` or `https://` URL of a settings key, parsed once
//! when the settings load (by the `url` crate), so no code re-checks a string.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// An absolute `http` or `https` URL with a host.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpUrl(url::Url);

impl HttpUrl {
    /// Parses `s`; the error says what is allowed.
    pub fn parse(s: &str) -> Result<HttpUrl, String> {
        let url = url::Url::parse(s).map_err(|e| format!("{s:?} is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "{s:?} must be an http:// or https:// URL with a host"
            ));
        }
        Ok(HttpUrl(url))
    }

    /// The URL as text (normalised: lower-case scheme and host, a path of at least `/`).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether it has a query (`?`) or a fragment (`#`).
    pub fn has_query_or_fragment(&self) -> bool {
        self.0.query().is_some() || self.0.fragment().is_some()
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The URL with exactly one trailing slash: the base links are joined to.
    pub fn base(&self) -> String {
        format!("{}/", self.as_str().trim_end_matches('/'))
    }
}

impl fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for HttpUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<HttpUrl, String> {
        HttpUrl::parse(s)
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HttpUrl, D::Error> {
        let s = String::deserialize(d)?;
        HttpUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An optional [`HttpUrl`] where the empty string means "none" (`salt.gate_url`).
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HttpUrl>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    HttpUrl::parse(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_parse() {
        assert!(HttpUrl::parse("http://127.0.0.1:8080/").is_ok());
        assert!(HttpUrl::parse("https://Ops.Example.com/logview").is_ok());
        for bad in [
            "ftp://x",
            "127.0.0.1:8080",
            "",
            "http://",
            "file:///etc/passwd",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn the_base_has_exactly_one_trailing_slash() {
        let u = HttpUrl::parse("https://ops.example.com/logview").expect("parses");
        assert_eq!(u.base(), "https://ops.example.com/logview/");
        let u = HttpUrl::parse("http://127.0.0.1:8080").expect("parses");
        assert_eq!(u.base(), "http://127.0.0.1:8080/");
        assert!(!u.is_https());
    }
}
