//! The one definition of a web origin (`scheme://host[:port]`) as a browser
//! serialises it in the `Origin` header, derived from a configured URL. Both
//! the WebSocket origin check (`ws.rs`) and the CSRF check and CSP
//! (`pages/csrf.rs`, `pages/security.rs`) compare against it, so a
//! `server.public_url` such as `https://Ops.example.com:443/logview/` yields
//! exactly the `https://ops.example.com` a browser sends.

use url::Url;

/// The origin of `url` as a browser sends it: lower-case scheme and host,
/// the port only when it is not the scheme's default, IPv6 hosts in brackets,
/// international names in punycode, and no path, query, fragment or trailing
/// slash. `None` unless `url` is an absolute `http`/`https` URL with a host
/// and without userinfo (`user@host` names no origin a browser would send).
/// Parsing is the WHATWG URL standard's, as in browsers.
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || !parsed.has_host()
    {
        return None;
    }
    Some(parsed.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    fn o(url: &str) -> Option<String> {
        origin_of(url)
    }

    #[test]
    fn scheme_and_host_are_lower_cased_and_the_path_dropped() {
        for (url, want) in [
            (
                "https://Ops.example.com/logview/",
                "https://ops.example.com",
            ),
            ("HTTPS://OPS.EXAMPLE.COM", "https://ops.example.com"),
            ("http://h", "http://h"),
            ("http://h/", "http://h"),
            ("http://h/a/b/", "http://h"),
            ("http://h?x=1", "http://h"),
            ("http://h#frag", "http://h"),
            ("http://h.example.com./", "http://h.example.com."),
        ] {
            assert_eq!(o(url).as_deref(), Some(want), "{url}");
        }
    }

    #[test]
    fn only_a_non_default_port_is_kept() {
        for (url, want) in [
            ("https://h:443/", "https://h"),
            ("http://h:80/", "http://h"),
            ("http://h:443/", "http://h:443"),
            ("https://h:80/", "https://h:80"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://h:08080/", "http://h:8080"),
        ] {
            assert_eq!(o(url).as_deref(), Some(want), "{url}");
        }
        assert_eq!(o("http://h:65536/"), None, "port out of range");
        assert_eq!(o("http://h:x/"), None, "port not a number");
    }

    #[test]
    fn ipv6_hosts_are_bracketed_and_normalised() {
        for (url, want) in [
            ("http://[::1]:8080/", "http://[::1]:8080"),
            ("https://[::1]:443/", "https://[::1]"),
            ("http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]"),
        ] {
            assert_eq!(o(url).as_deref(), Some(want), "{url}");
        }
        assert_eq!(o("http://::1/"), None, "IPv6 without brackets");
    }

    #[test]
    fn international_names_are_sent_in_punycode() {
        assert_eq!(
            o("https://Bücher.example/").as_deref(),
            Some("https://xn--bcher-kva.example")
        );
    }

    #[test]
    fn userinfo_other_schemes_and_non_urls_have_no_origin() {
        for url in [
            "https://user@host/",
            "https://user:pw@host/",
            "https://:pw@host/",
            "ws://host/",
            "wss://host/",
            "ftp://host/",
            "file:///var/log/x",
            "data:text/plain,x",
            "//host/",
            "/relative",
            "host:8080",
            "http://",
            "",
        ] {
            assert_eq!(o(url), None, "{url:?}");
        }
    }
}
