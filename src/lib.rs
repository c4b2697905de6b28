//! salt-logview: watch a log file on a SaltStack minion live in the browser.
//!
//! Two binaries share this library (see `ARCHITECTURE.md` for the map):
//! * `logtail` (minion side, static musl build, no `server` feature): follows a
//!   file or runs a command and appends to a Redis stream. Modules: [`wire`], [`tail`].
//! * `logview` (the web service, feature `server`): drives salt-api, reads the
//!   streams and serves the pages, the JSON API, WebSocket and SSE; its
//!   `tail` and `run` subcommands are the terminal client, [`client`].

pub mod path_glob;
pub mod tail;
pub mod wire;

#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod client;
#[cfg(feature = "server")]
pub mod gate;
#[cfg(feature = "server")]
pub mod settings;

#[cfg(feature = "server")]
pub(crate) mod commands;
#[cfg(feature = "server")]
pub mod http;
#[cfg(feature = "server")]
pub(crate) mod i18n;
#[cfg(feature = "server")]
pub(crate) mod local;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod password;
#[cfg(feature = "server")]
pub mod redis_conn;
#[cfg(feature = "server")]
pub mod salt_api;
#[cfg(feature = "server")]
pub mod session;
#[cfg(feature = "server")]
pub mod stream;
#[cfg(feature = "server")]
pub mod target;
#[cfg(feature = "server")]
pub mod telemetry;
#[cfg(feature = "server")]
pub mod tickets;
