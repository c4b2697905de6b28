//! The catalogues are complete: both languages hold the same keys with the
//! same placeholders, and every key the sources look up (Rust `Text::new`,
//! templates' and scripts' `t("…")`) exists. A missing translation fails here,
//! not in front of a user.

use std::path::{Path, PathBuf};

use super::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source dir is readable") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The first argument of every call `name("…")` in `text` (a call: `name`
/// not preceded by an identifier character or `.`); `None` for a call whose
/// first argument is not a string literal.
fn literal_calls(text: &str, name: &str) -> Vec<Option<String>> {
    let needle = format!("{name}(");
    let mut found = Vec::new();
    for (at, _) in text.match_indices(&needle) {
        let before = text[..at].chars().next_back();
        // A path (`crate::i18n::Text::new`) is still the call; `x.t(` is another function.
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$')) {
            continue;
        }
        let rest = &text[at + needle.len()..];
        let key = rest
            .strip_prefix('"')
            .and_then(|r| r.split_once('"'))
            .map(|(k, _)| k.to_owned());
        found.push(key);
    }
    found
}

/// Every key looked up in the sources, with where.
fn used_keys() -> Vec<(String, String)> {
    let mut used = Vec::new();
    let mut scan = |dir: &str, ext: &str, call: &str| {
        let mut paths = Vec::new();
        files(&root().join(dir), ext, &mut paths);
        for path in paths {
            let rel = path
                .strip_prefix(root())
                .expect("in repo")
                .display()
                .to_string();
            // The definitions of the lookups, not calls.
            if rel.ends_with("i18n/tests.rs")
                || rel.ends_with("i18n/text.rs")
                || rel.ends_with("js/i18n.js")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            for key in literal_calls(&text, call) {
                let key = key.unwrap_or_else(|| panic!("{rel}: {call}(…) without a literal key"));
                used.push((rel.clone(), key));
            }
        }
    };
    scan("src", "rs", "Text::new");
    scan("templates", "html", "t");
    scan("static/js", "js", "t");
    used
}

#[test]
fn both_catalogues_parse_and_hold_the_same_keys() {
    let en = parse(SOURCES[0].1).expect("en.toml parses");
    let zh = parse(SOURCES[1].1).expect("zh-CN.toml parses");
    let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
    let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(only_en.is_empty(), "missing in zh-CN.toml: {only_en:?}");
    assert!(only_zh.is_empty(), "missing in en.toml: {only_zh:?}");
    assert!(en.len() > 50, "{} keys", en.len());
    assert!(
        zh.values().all(|v| !v.trim().is_empty()),
        "an empty translation"
    );
}

#[test]
fn both_catalogues_use_the_same_placeholders() {
    let c = catalogue();
    let mut differ = Vec::new();
    for (key, en) in c.words(Lang::En) {
        let zh = c
            .words(Lang::ZhCn)
            .get(key)
            .map(String::as_str)
            .unwrap_or("");
        if placeholders(en) != placeholders(zh) {
            differ.push(key.clone());
        }
    }
    assert!(differ.is_empty(), "placeholders differ: {differ:?}");
}

#[test]
fn every_key_the_sources_use_exists_and_scripts_use_js_keys() {
    let used = used_keys();
    let c = catalogue();
    let missing: Vec<_> = used
        .iter()
        .filter(|(_, k)| !c.words(Lang::En).contains_key(k) || !c.words(Lang::ZhCn).contains_key(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys used but not in the catalogues: {missing:?}"
    );
    let js_outside: Vec<_> = used
        .iter()
        .filter(|(f, k)| f.starts_with("static/") && !k.starts_with(JS_PREFIX))
        .collect();
    assert!(
        js_outside.is_empty(),
        "scripts only see js.* keys: {js_outside:?}"
    );
    // The scan sees each kind of source, and a path-qualified `Text::new`.
    assert!(used.iter().any(|(_, k)| k == "api.body.ops_form"));
    for dir in ["src/", "templates/", "static/js/"] {
        assert!(
            used.iter().any(|(f, _)| f.starts_with(dir)),
            "no key found under {dir}"
        );
    }
}

#[test]
fn the_scan_finds_calls_and_refuses_computed_keys() {
    let text = r#"t("a.b"); x.t("no"); fmt("no"); t(`js.${x}`); Text::new("c"); crate::i18n::Text::new("d")"#;
    assert_eq!(literal_calls(text, "t"), vec![Some("a.b".to_owned()), None]);
    assert_eq!(
        literal_calls(text, "Text::new"),
        vec![Some("c".to_owned()), Some("d".to_owned())]
    );
}

#[test]
fn placeholders_are_filled_and_unknown_ones_kept() {
    assert_eq!(fill("{n} lines of {m}", &[("n", "3")]), "3 lines of {m}");
    assert_eq!(fill("a { b", &[]), "a { b");
    assert_eq!(placeholders("{b} {a} {b} {}"), vec!["a", "b"]);
    let c = catalogue();
    assert_eq!(c.format(Lang::ZhCn, "no.such.key", &[]), "no.such.key");
}
