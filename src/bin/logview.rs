//! `logview`: the web service. Parses arguments and calls into the library.
fn main() -> anyhow::Result<()> {
    let _ = salt_logview::settings::Settings::load(&[salt_logview::settings::default_path()])?;
    Ok(())
}
