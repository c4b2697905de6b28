//! Reads the coordinates of the running test stack from the `stack.env` file
//! that `scripts/stack.sh up` writes (path in env `SLV_STACK_ENV`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The `KEY=VALUE` lines of the stack's `stack.env`.
#[derive(Debug)]
pub struct Stack {
    vars: HashMap<String, String>,
}

impl Stack {
    /// The value of `key`; panics with a clear message when the stack lacks it.
    pub fn get(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("stack.env has no {key}; is the stack up to date? (scripts/stack.sh up --name test)"))
    }

    /// The value of `key`, or `default` when the stack.env lacks it.
    pub fn get_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.vars.get(key).map(String::as_str).unwrap_or(default)
    }

    /// `get` as a path.
    pub fn path(&self, key: &str) -> PathBuf {
        PathBuf::from(self.get(key))
    }
}

/// The running stack, read once per test binary.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let path = std::env::var("SLV_STACK_ENV")
            .unwrap_or_else(|_| panic!("run scripts/test.sh (SLV_STACK_ENV not set: the integration tests need the real stack)"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read SLV_STACK_ENV={path}: {e}"));
        let vars = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Stack { vars }
    })
}
