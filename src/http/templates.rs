//! The MiniJinja environment of logview's pages: the templates of `templates/`
//! embedded in the binary (so it runs from any directory), HTML autoescaping,
//! and the globals every page uses (base URL, static URL).
//!
//! Autoescaping is chosen by template name in MiniJinja: every name here ends
//! in `.html`, and the callback below escapes every template regardless, so a
//! template added under another name cannot silently lose escaping.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::settings::Settings;

/// Error building or rendering a template.
pub use minijinja::Error as TemplateError;

/// Every template, by the name pages render it with.
const TEMPLATES: &[(&str, &str)] = &[
    ("audit.html", include_str!("../../templates/audit.html")),
    ("base.html", include_str!("../../templates/base.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("minion.html", include_str!("../../templates/minion.html")),
    ("viewer.html", include_str!("../../templates/viewer.html")),
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
    Ok(env)
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
    use minijinja::context;
    use std::path::PathBuf;

    fn settings() -> Settings {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
        Settings::load(&[path]).expect("shipped settings load")
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
        s.server.public_url = "https://ops.example.com/logview".to_owned();
        let env = environment(&s).expect("environment builds");
        let html = env
            .get_template("error.html")
            .and_then(|t| t.render(context! { title => "t", message => "m", hint => "" }))
            .expect("renders");
        assert!(html.contains("href=\"https://ops.example.com/logview/static/style.css\""));
    }

    #[test]
    fn a_url_with_html_characters_is_escaped() {
        let v = url_value("https://x/\"><script>".to_owned());
        assert!(!v.is_safe());
        assert!(url_value("https://x/a?b=c".to_owned()).is_safe());
    }
}
