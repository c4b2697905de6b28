//! `Text`: words to show a person, as a catalogue key and its arguments, so
//! an error is built once and told in the language of whoever reads it.
//! `Display` is the English text (logs, and the default language).

use std::fmt;

use super::{catalogue, Lang};

/// A catalogue key with its `{name}` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    key: &'static str,
    args: Vec<(&'static str, String)>,
}

impl Text {
    /// The words of `key` (a literal: the key scan of `tests.rs` reads it).
    pub fn new(key: &'static str) -> Text {
        Text {
            key,
            args: Vec::new(),
        }
    }

    /// Sets the argument `name`.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Text {
        self.args.push((name, value.to_string()));
        self
    }

    /// The catalogue key.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        catalogue().format(lang, self.key, &args)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}
