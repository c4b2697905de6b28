//! The tracing subscriber of `logtail`: one plain line per event
//! (`unix-time LEVEL logtail[pid]: message key=value…`) to stderr or
//! `log_file`, at `warn` unless configured otherwise. No spans, no colours.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

struct Sink {
    max: Level,
    out: Mutex<Box<dyn Write + Send>>,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for Sink {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= &self.max
    }
    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut line = Line(format!(
            "{}.{:03} {} logtail[{}]:",
            now.as_secs(),
            now.subsec_millis(),
            event.metadata().level(),
            std::process::id()
        ));
        event.record(&mut line);
        line.0.push('\n');
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(line.0.as_bytes());
        }
    }
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}

/// The level named in the configuration (`warn` when absent).
pub fn parse_level(name: Option<&str>) -> Level {
    match name {
        Some("error") => Level::ERROR,
        Some("info") => Level::INFO,
        Some("debug") => Level::DEBUG,
        _ => Level::WARN,
    }
}

/// Installs the sink as the global subscriber (once; later calls are no-ops).
pub fn init(level: Level, file: Option<&Path>) -> std::io::Result<()> {
    let out: Box<dyn Write + Send> = match file {
        Some(path) => Box::new(OpenOptions::new().create(true).append(true).open(path)?),
        None => Box::new(std::io::stderr()),
    };
    let _ = tracing::subscriber::set_global_default(Sink {
        max: level,
        out: Mutex::new(out),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warn_lets_errors_and_warnings_through_only() {
        let max = parse_level(None);
        assert!(Level::ERROR <= max);
        assert!(Level::WARN <= max);
        assert!(Level::INFO > max);
        assert!(Level::DEBUG > parse_level(Some("info")));
    }
}
