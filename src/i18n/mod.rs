//! The catalogues of user-facing words: one per language (`locales/en.toml`,
//! `locales/zh-CN.toml`), compiled into the binary and parsed once.
//! Keys are flat and dotted (`api.session.minion_unknown`); a value may hold
//! `{name}` placeholders filled from a [`Text`]'s arguments.
//!
//! Pages look words up through the template function `t("key", name=value)`,
//! the browser scripts through `static/js/i18n.js` (the `js.*` keys, embedded
//! in every page), errors through [`Text`]. `negotiate.rs` picks the language
//! of a request. How to add a string or a language: `docs/i18n.md`.

mod negotiate;
#[cfg(test)]
mod tests;
mod text;

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use negotiate::{choose, Lang};
pub use text::Text;

/// The catalogue sources, by language.
const SOURCES: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../../locales/en.toml")),
    (Lang::ZhCn, include_str!("../../locales/zh-CN.toml")),
];

/// Prefix of the keys the browser scripts use (embedded in every page).
pub const JS_PREFIX: &str = "js.";

/// Every language's words, flattened to `dotted.key → text`.
#[derive(Debug)]
pub struct Catalogue {
    en: BTreeMap<String, String>,
    zh_cn: BTreeMap<String, String>,
}

/// The catalogue, parsed on first use. A catalogue that does not parse (a
/// build with a broken file; `tests.rs` fails on it) is empty: lookups then
/// answer with the English words or the key, never a panic.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut maps = SOURCES.iter().map(|(lang, source)| {
            parse(source).unwrap_or_else(|e| {
                tracing::error!(lang = lang.tag(), error = %e, "locale catalogue does not parse");
                BTreeMap::new()
            })
        });
        Catalogue {
            en: maps.next().unwrap_or_default(),
            zh_cn: maps.next().unwrap_or_default(),
        }
    })
}

/// Parses one catalogue file into flat dotted keys.
pub(crate) fn parse(source: &str) -> Result<BTreeMap<String, String>, String> {
    let table: toml::Table = toml::from_str(source).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => return Err(format!("{key}: every value must be a string")),
        }
    }
    Ok(())
}

impl Catalogue {
    /// The words of `lang`.
    pub fn words(&self, lang: Lang) -> &BTreeMap<String, String> {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }

    /// The text of `key` in `lang` with its placeholders filled from `args`;
    /// falls back to English, then to the key itself (which `tests.rs` makes
    /// impossible for every key the sources use).
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let template = self
            .words(lang)
            .get(key)
            .or_else(|| self.en.get(key))
            .map(String::as_str)
            .unwrap_or(key);
        fill(template, args)
    }

    /// The `js.*` words of `lang`, for the page's `<script id="i18n">`.
    pub fn for_scripts(&self, lang: Lang) -> BTreeMap<&str, &str> {
        self.words(lang)
            .iter()
            .filter(|(k, _)| k.starts_with(JS_PREFIX))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// Replaces each `{name}` of `template` with its argument; a placeholder
/// without an argument stays as it is.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of `template`, sorted (the catalogue tests
/// compare them between languages).
#[cfg(test)]
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            names.push(name.to_owned());
        }
        rest = &after[close + 1..];
    }
    names.sort();
    names.dedup();
    names
}
