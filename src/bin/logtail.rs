//! `logtail`: the minion-side tailer binary; parses the command line, runs
//! the library and exits with its documented exit code.

use clap::Parser;
use salt_logview::tail::{cli::Cli, run};

fn main() {
    let cli = Cli::parse();
    std::process::exit(run(cli));
}
