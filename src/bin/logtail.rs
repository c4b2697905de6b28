//! `logtail`: the minion-side tailer. Parses arguments and calls into the library.
fn main() {
    if std::env::args().nth(1).as_deref() == Some("--version") {
        println!("logtail {}", env!("CARGO_PKG_VERSION"));
    }
}
