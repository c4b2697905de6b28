//! Which language a request gets: an explicit choice (`?lang=`, then the
//! `lang` cookie the page switch sets) beats `Accept-Language`, whose
//! q-values are honoured; anything unsupported falls back to English.

/// A language logview speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Lang {
    /// English, the default.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// Every language, in the order of the page switch.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag (`<html lang>`, `?lang=`, the cookie).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language a tag names: `en`/`en-*` → English; `zh`, `zh-CN`,
    /// `zh-SG`, `zh-Hans` (and `zh-Hans-*`) → zh-CN; case-insensitive.
    /// Traditional Chinese (`zh-TW`, `zh-HK`, `zh-Hant`) is not zh-CN.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        if tag == "en" || tag.starts_with("en-") {
            return Some(Lang::En);
        }
        match tag.as_str() {
            "zh" | "zh-cn" | "zh-sg" | "zh-hans" => Some(Lang::ZhCn),
            t if t.starts_with("zh-hans-") => Some(Lang::ZhCn),
            _ => None,
        }
    }
}

/// The best supported language of an `Accept-Language` header: highest q
/// first, the earlier entry on a tie, q=0 never; `None` when nothing fits.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let mut q = 1000u16;
        for p in parts {
            let p = p.trim();
            if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                q = parse_q(v).unwrap_or(0);
            }
        }
        let Some(lang) = Lang::from_tag(tag) else {
            continue;
        };
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// A q-value (`0` to `1` with up to three decimals) in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_val: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac_val),
        "1" if frac_val == 0 => Some(1000),
        _ => None,
    }
}

/// The language of a request: `?lang=` beats the `lang` cookie beats
/// `Accept-Language`; an unsupported value is skipped; English otherwise.
pub fn choose(query: Option<&str>, cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    query
        .and_then(Lang::from_tag)
        .or_else(|| cookie.and_then(Lang::from_tag))
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_tags_map_to_zh_cn_and_traditional_does_not() {
        for t in [
            "zh",
            "zh-CN",
            "zh-cn",
            "zh-Hans",
            "zh-SG",
            "zh-Hans-CN",
            "zh_CN",
        ] {
            assert_eq!(Lang::from_tag(t), Some(Lang::ZhCn), "{t}");
        }
        for t in ["zh-TW", "zh-HK", "zh-Hant", "fr", "", "*"] {
            assert_eq!(Lang::from_tag(t), None, "{t}");
        }
        assert_eq!(Lang::from_tag("en-GB"), Some(Lang::En));
    }

    #[test]
    fn q_values_decide_and_ties_keep_the_order() {
        let a = |h| from_accept_language(h);
        assert_eq!(a("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::ZhCn));
        assert_eq!(a("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(a("fr;q=1, zh;q=0.5, en;q=0.4"), Some(Lang::ZhCn));
        assert_eq!(a("en;q=0.2, zh-Hans;q=0.7"), Some(Lang::ZhCn));
        assert_eq!(a("zh-CN;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(a("zh, en"), Some(Lang::ZhCn));
        assert_eq!(a("zh-TW, fr"), None);
        assert_eq!(a("zh;q=abc, en;q=0.3"), Some(Lang::En));
        assert_eq!(a(""), None);
    }

    #[test]
    fn an_explicit_choice_beats_the_header() {
        assert_eq!(choose(Some("en"), Some("zh-CN"), Some("zh-CN")), Lang::En);
        assert_eq!(choose(None, Some("zh-CN"), Some("en")), Lang::ZhCn);
        assert_eq!(choose(Some("xx"), None, Some("zh")), Lang::ZhCn);
        assert_eq!(choose(None, None, Some("de")), Lang::En);
        assert_eq!(choose(None, None, None), Lang::En);
    }
}
