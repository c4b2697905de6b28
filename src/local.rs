//! Local mode (the seeds' `/log/local`): files on logview's own host, allowed
//! by `[local].allowed_paths`, tailed by spawning the local `logtail` with an
//! argv (no shell) into the same Redis stream pipe; no Salt involved.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::salt_api::lowstate;
use crate::settings::Settings;

/// Why a local logtail could not be run.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The binary could not be executed.
    #[error("cannot run {bin} (setting local.logtail_bin): {source}")]
    Spawn {
        /// The binary.
        bin: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `logtail stop` did not finish within 10 s.
    #[error("logtail stop did not finish within 10 s")]
    StopHung,
    /// `logtail stop` exited with an error (its stderr is logged, not shown).
    #[error("{}", crate::tail::error::stop_failed(i64::from(*status)))]
    StopFailed {
        /// Exit status (-1 for a signal).
        status: i32,
    },
}

/// Runs the local logtail binary with the local config.
#[derive(Debug, Clone)]
pub struct LocalTailer {
    bin: String,
    config: String,
}

impl LocalTailer {
    /// From `[local]`.
    pub fn new(settings: &Settings) -> LocalTailer {
        LocalTailer {
            bin: settings.local.logtail_bin.clone(),
            config: settings.local.logtail_config.clone(),
        }
    }

    /// Whether `path` is a regular file here (follows symlinks, like `file.file_exists`).
    pub async fn file_exists(path: &str) -> bool {
        tokio::fs::metadata(Path::new(path))
            .await
            .map(|m| m.is_file())
            .unwrap_or(false)
    }

    /// `logtail stop --config CFG [--replacing] PATH`, waited for.
    pub async fn stop(&self, path: &str, replacing: bool) -> Result<(), LocalError> {
        let argv = lowstate::stop_argv(&self.bin, &self.config, replacing, path);
        let child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| self.spawn_error(source))?;
        let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
            .await
            .map_err(|_| LocalError::StopHung)?
            .map_err(|source| self.spawn_error(source))?;
        if out.status.success() {
            Ok(())
        } else {
            let stderr: String = String::from_utf8_lossy(&out.stderr)
                .trim()
                .chars()
                .take(2000)
                .collect();
            let status = out.status.code().unwrap_or(-1);
            // Server log only, escaped: it names resolved paths and the allow-list.
            tracing::warn!(path = ?path, status, stderr = ?stderr, "local logtail stop failed");
            Err(LocalError::StopFailed { status })
        }
    }

    /// Spawns `logtail follow …` in its own process group (it outlives a
    /// logview restart, as on minions) and reaps it when it exits.
    /// The stream is the one of the local config's `minion_id` (which must
    /// be `local.host_id`) and `path`, as on a minion.
    pub fn follow(
        &self,
        lines: u32,
        max_duration_secs: u64,
        idle_exit_secs: u64,
        resume_at: Option<crate::wire::FilePos>,
        path: &str,
    ) -> Result<u32, LocalError> {
        let argv = lowstate::follow_argv(
            &self.bin,
            &self.config,
            lines,
            max_duration_secs,
            idle_exit_secs,
            resume_at,
            path,
        );
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|source| self.spawn_error(source))?;
        let pid = child.id().unwrap_or(0);
        tokio::spawn(async move {
            let status = child.wait().await;
            tracing::debug!(pid, ?status, "local logtail exited");
        });
        Ok(pid)
    }

    fn spawn_error(&self, source: std::io::Error) -> LocalError {
        LocalError::Spawn {
            bin: self.bin.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn a_failed_stop_says_a_fixed_sentence_not_logtails_stderr() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("logtail");
        std::fs::write(
            &bin,
            "#!/bin/sh\necho 'path /var/log/x.log is not allowed (resolved to /etc/shadow); \
             allowed_paths = [\"/srv/secret/**\"]' >&2\nexit 3\n",
        )
        .expect("fake logtail");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let tailer = LocalTailer {
            bin: bin.display().to_string(),
            config: "/etc/logtail.toml".into(),
        };
        let said = tailer
            .stop("/var/log/x.log", false)
            .await
            .expect_err("exit 3")
            .to_string();
        assert_eq!(
            said,
            "logtail stop exited with status 3: the path is not in the allow-list of logtail on that host"
        );
        assert!(!said.contains("/etc/shadow") && !said.contains("/srv/secret"));
    }
}
