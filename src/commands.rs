//! The allow-listed named commands of `[commands.*]`: lookup by name (the
//! only way a request can pick a program) and fresh run ids for their streams.

use rand::Rng;

use crate::i18n::Text;
use crate::settings::{CommandSettings, Settings};
use crate::target::InputError;

/// Field name in requests.
pub const FIELD: &str = "command";

/// The settings of command `name`, or an error listing the allowed names.
pub fn lookup<'s>(settings: &'s Settings, name: &str) -> Result<&'s CommandSettings, InputError> {
    let names: Vec<&str> = settings.commands.keys().map(String::as_str).collect();
    let text = match (name.is_empty(), names.is_empty()) {
        (true, true) => Text::new("input.command.required_none"),
        (true, false) => Text::new("input.command.required"),
        (false, true) => Text::new("input.command.unknown_none"),
        (false, false) => Text::new("input.command.unknown"),
    };
    settings.commands.get(name).ok_or_else(|| {
        InputError::new(
            FIELD,
            text.arg("name", format!("{name:?}"))
                .arg("allowed", names.join(", ")),
        )
    })
}

/// A run id: 16 lowercase hex characters (what the eauth ACL pins).
pub fn new_run_id() -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn settings() -> Settings {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
        Settings::load_with_env(&[file], []).expect("settings")
    }

    #[test]
    fn only_configured_names_are_found() {
        let s = settings();
        assert_eq!(lookup(&s, "disk").expect("disk").argv[0], "/bin/df");
        let e = lookup(&s, "rm -rf /").expect_err("unknown");
        assert_eq!(e.field, "command");
        assert!(
            e.message.contains("allowed: disk, pipe-check, uptime"),
            "{}",
            e.message
        );
        assert!(lookup(&s, "")
            .expect_err("empty")
            .message
            .contains("required"));
    }

    #[test]
    fn run_ids_are_16_lowercase_hex() {
        let a = new_run_id();
        assert_eq!(a.len(), 16);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(a, new_run_id());
    }
}
