//! The running stack's coordinates for the benches: `SLV_STACK_ENV` names a
//! `stack.env` (`KEY=VALUE` lines) written by `scripts/stack.sh up`.

use std::collections::HashMap;

/// Every `KEY=VALUE` of the stack.env `SLV_STACK_ENV` points at.
pub fn stack_env() -> Result<HashMap<String, String>, Box<dyn std::error::Error + Send + Sync>> {
    let path = std::env::var("SLV_STACK_ENV")
        .map_err(|_| "set SLV_STACK_ENV to a stack.env (scripts/stack.sh up --name test)")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect())
}
