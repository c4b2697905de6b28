//! The MiniJinja environment of logview's pages: the templates of `templates/`
//! embedded in the binary (so it runs from any directory), HTML autoescaping,
//! the globals every page uses (base URL, static URL), and `t("key", name=value)`:
//! the words of a catalogue key in the page's `lang` (see `src/i18n/`).
//!
//! Autoescaping is chosen by template name in MiniJinja: every name here ends
//! in `.html`, and the callback below escapes every template regardless, so a
//! template added under another name cannot silently lose escaping.

use minijinja::value::Kwargs;
use minijinja::{AutoEscape, Environment, State, UndefinedBehavior, Value};

use crate::i18n::{catalogue, Lang};
use crate::settings::Settings;

/// Error building or rendering a template.
pub use minijinja::Error as TemplateError;

/// Every template, by the name pages render it with.
const TEMPLATES: &[(&str, &str)] = &[
    ("audit.html", include_str!("../../templates/audit.html")),
    ("base.html", include_str!("../../templates/base.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("fleet.html", include_str!("../../templates/fleet.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("minion.html", include_str!("../../templates/minion.html")),
    ("target.html", include_str!("../../templates/target.html")),
    ("viewer.html", include_str!("../../templates/viewer.html")),
    (
        "viewer_log.html",
        include_str!("../../templates/viewer_log.html"),
    ),
];

/// Builds the environment: templates parsed once at start-up (a syntax error
/// stops the service at boot, not at the first request), HTML autoescape on,
/// `base` (public URL with one trailing slash) and `static_base` as globals.
pub fn environment(settings: &Settings) -> Result<Environment<'static>, TemplateError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_name| AutoEscape::Html);
    // A misspelt variable is an error at render time, not an empty string;
    // `{% if x %}` on an absent value still works.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    let base = settings.public_base();
    env.add_global("static_base", url_value(format!("{base}static/")));
    env.add_global("base", url_value(base));
    env.add_function("t", translate);
    Ok(env)
}

/// `t("key", name=value, …)`: the words of `key` in the language of the
/// page being rendered (its `lang` value; English without one), with the
/// keyword arguments filled in. The result is text, escaped like any value.
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, TemplateError> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_tag))
        .unwrap_or_default();
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        args.push((name, value.to_string()));
    }
    let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
    Ok(catalogue().format(lang, key, &args))
}

/// A URL from the settings as a template value: inserted verbatim when it
/// holds no character that means anything in HTML (so links stay readable),
/// escaped like any other value otherwise.
pub fn url_value(url: String) -> Value {
    let plain = url
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '&' | '"' | '\'' | '`'));
    if plain {
        Value::from_safe_string(url)
    } else {
        Value::from(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use minijinja::context;
    use std::path::PathBuf;

    fn settings() -> Settings {
        Settings::shipped()
    }

    #[test]
    fn every_template_file_is_embedded() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("templates dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = TEMPLATES.iter().map(|(n, _)| (*n).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        assert!(embedded.iter().all(|n| n.ends_with(".html")));
    }

    #[test]
    fn values_are_html_escaped() {
        let env = environment(&settings()).expect("environment builds");
        let html = env
            .get_template("error.html")
            .and_then(|t| {
                t.render(context! {
                    title => "<b>t</b>",
                    message => "<img src=x onerror=alert(1)>",
                    hint => "",
                })
            })
            .expect("renders");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("<b>t</b>"));
    }

    #[test]
    fn the_viewer_config_cannot_close_its_script_element() {
        let env = environment(&settings()).expect("environment builds");
        let config = serde_json::json!({ "path": "/var/log/</script><script>alert(1)</script>" });
        let html = env
            .get_template("viewer.html")
            .and_then(|t| {
                t.render(context! {
                    minion => "web-01", kind => "file", target => "/var/log/x", config => config,
                })
            })
            .expect("renders");
        let script = html
            .split("id=\"viewer-config\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .expect("config script present");
        assert!(script.contains("\\u003c/script\\u003e"), "{script}");
        let parsed: serde_json::Value = serde_json::from_str(script).expect("config is JSON");
        assert_eq!(
            parsed["path"],
            "/var/log/</script><script>alert(1)</script>"
        );
    }

    #[test]
    fn asset_urls_follow_the_public_url_sub_path() {
        let mut s = settings();
        s.server.public_url = "https://ops.example.com/logview".parse().expect("a URL");
        let env = environment(&s).expect("environment builds");
        let html = env
            .get_template("error.html")
            .and_then(|t| t.render(context! { title => "t", message => "m", hint => "" }))
            .expect("renders");
        assert!(html.contains("href=\"https://ops.example.com/logview/static/style.css\""));
    }

    /// The ops page in zh-CN: `<html lang>`, the words from the zh-CN
    /// catalogue, the scripts' words embedded, no English left and no key
    /// shown in place of words.
    #[test]
    fn the_ops_page_renders_in_chinese() {
        use crate::http::pages::with_lang;
        let env = environment(&settings()).expect("environment builds");
        let ctx = context! {
            minion => "web-01", user => "ops", csrf => "T",
            status => context! { key => "answers", text => "在线", detail => "" },
            form => context! { log_path => "", line_count => "200" },
            suggestions => vec!["/var/log/syslog"], allowed_paths => vec!["/var/log/**"],
            max_lines => 5000, commands => Vec::<Value>::new(),
        };
        let html = env
            .get_template("minion.html")
            .and_then(|t| t.render(with_lang(ctx, Lang::ZhCn)))
            .expect("renders");
        assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
        for words in [
            "跟踪日志文件",
            "日志路径",
            "历史行数",
            "0 到 5000",
            "开始跟踪",
            "当前用户：ops",
            "尚未配置任何命令",
        ] {
            assert!(html.contains(words), "{words} missing: {html}");
        }
        for english in ["Tail a log file", "Log path", "Start<", "signed in as"] {
            assert!(!html.contains(english), "{english} left: {html}");
        }
        let script = html
            .split("id=\"i18n\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .expect("the scripts' words are embedded");
        let words: serde_json::Value = serde_json::from_str(script).expect("JSON");
        assert_eq!(words["js.event.rotated"], "日志文件已轮转");
        assert!(words.get("page.ops.start").is_none(), "only js.* keys");
        let visible = html.replace(script, "");
        for prefix in ["page.", "js.", "api.", "input."] {
            assert!(
                !visible.contains(prefix),
                "a key shown instead of words: {prefix}"
            );
        }
    }

    #[test]
    fn a_url_with_html_characters_is_escaped() {
        let v = url_value("https://x/\"><script>".to_owned());
        assert!(!v.is_safe());
        assert!(url_value("https://x/a?b=c".to_owned()).is_safe());
    }
}
