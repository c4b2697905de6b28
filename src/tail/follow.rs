//! `logtail follow`: checks the path, takes the per-path lock, sends the
//! last N lines, then follows the file (`tail -F` semantics) into the stream
//! until the lease is gone, `max-duration` passes, a signal, a takeover or
//! `logtail stop`; every exit writes a `stopped` event.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::allowlist::{self, Target};
use super::backlog;
use super::batch::Batcher;
use super::config::Config;
use super::error::{Error, Result};
use super::heartbeat::Heartbeat;
use super::lease::LeaseClock;
use super::lines::Splitter;
use super::lock::{self, PathLock};
use super::owner::Owner;
use super::publish::Publisher;
use super::ratelimit::RateLimit;
use super::refusal::{self, report_refusal};
use super::rotation::{Change, FollowedFile};
use super::signals::Signals;
use super::wait;
use super::watch::Watcher;
use super::{events, STOP_DRAIN};
use crate::wire::{field, FilePos, StopReason};

mod reading;
mod resume;
use resume::Resume;

/// Bytes read per `read` call.
const READ_BUF: usize = 256 * 1024;
/// Bytes read before signals and housekeeping get a look in.
const ROUND_BUDGET: usize = 16 << 20;
/// Queued bytes that trigger a pipelined flush in the middle of a read burst.
const FLUSH_AT: usize = 1 << 20;

/// What to follow, from the command line.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// The stream key, derived from the config's `minion_id` and the path
    /// as given (`Config::follow_stream`).
    pub stream: String,
    /// Backlog line count.
    pub lines: u64,
    /// Stop after this long.
    pub max_duration: Option<Duration>,
    /// Stop this long after the lease is gone.
    pub idle_exit: Option<Duration>,
    /// The path as given.
    pub path: PathBuf,
    /// Continue where a dead tailer stopped (`--resume-at`) instead of
    /// sending the backlog, if the file is still the same.
    pub resume_at: Option<FilePos>,
}

/// Runs `follow` to the end.
pub fn run(cfg: &Config, opts: &FollowOptions) -> Result<()> {
    allowlist::check_stream_syntax(&opts.stream)?;
    let target = allowlist::resolve_follow(&opts.path, &cfg.allowed_paths)
        .map_err(|e| report_refusal(cfg, opts, e))?;
    // The check that counts: on the opened descriptor (see `open`).
    let (file, meta) = FollowedFile::open(&target.given, &cfg.allowed_paths)
        .map_err(|e| refusal::open_error(&opts.path, &cfg.allowed_paths, e))
        .map_err(|e| report_refusal(cfg, opts, e))?;

    let signals = Signals::new(false).map_err(|e| Error::os("cannot set up signal handling", e))?;
    let mut publish_to = cfg.publish_target(&opts.stream);
    // The backlog depth stays in the stream however old: later viewers take
    // their last N lines from it (docs/sharing.md).
    publish_to.keep_lines = opts.lines;
    let publisher = Publisher::connect(cfg, publish_to)?;
    let mut interrupted = || {
        signals
            .pending()
            .is_ok_and(|s| s.iter().any(|&s| s != libc::SIGHUP))
    };
    // Followed by name, so locked by name: a retargeted symlink stays one tailer.
    let lock = lock::acquire(
        &cfg.lock_dir,
        &target.given,
        lock::TAKEOVER_WAIT,
        &mut interrupted,
    )?;

    let now = Instant::now();
    let mut f = Follower {
        cfg,
        opts,
        target,
        file,
        splitter: Splitter::new(cfg.max_line_bytes),
        batcher: Batcher::new(cfg.batch_max_bytes, None),
        publisher,
        limiter: RateLimit::new(cfg.rate_limit_lines_per_sec, now),
        watcher: Watcher::new().map_err(|e| Error::os("cannot set up inotify", e))?,
        signals,
        lock,
        lease: LeaseClock::new(opts.idle_exit, now),
        heartbeat: Heartbeat::new(Owner::current(), cfg.stream_expire_secs, now),
        buf: vec![0u8; READ_BUF],
        in_backlog: true,
        started_at: now,
    };
    let size = meta.len();
    let result = f.start(size).and_then(|()| f.follow());
    if let Err(e) = &result {
        let _ = f.finish(StopReason::Error, e.to_string());
    }
    result
}

struct Follower<'a> {
    cfg: &'a Config,
    opts: &'a FollowOptions,
    target: Target,
    file: FollowedFile,
    splitter: Splitter,
    batcher: Batcher,
    publisher: Publisher,
    limiter: RateLimit,
    watcher: Watcher,
    signals: Signals,
    lock: PathLock,
    lease: LeaseClock,
    buf: Vec<u8>,
    /// The first drain sends the backlog, which the rate limit does not count.
    in_backlog: bool,
    started_at: Instant,
    heartbeat: Heartbeat,
}

impl Follower<'_> {
    fn start(&mut self, size: u64) -> Result<()> {
        let given = self.target.given.clone();
        let watch_err = |e| Error::os(format!("cannot watch {}", given.display()), e);
        if let Some(fd_path) = self.file.fd_path() {
            self.watcher.watch_file(&fd_path).map_err(watch_err)?;
        }
        // The name's directory (a new file or a retargeted symlink takes the
        // name) and, for a symlink, its target's (that file being rotated).
        let target = (self.target.canonical != given).then(|| self.target.canonical.clone());
        for p in std::iter::once(given.clone()).chain(target) {
            let parent = p.parent().unwrap_or(Path::new("/"));
            let name = p.file_name().unwrap_or_default();
            self.watcher
                .watch_name(parent, name, false)
                .map_err(watch_err)?;
        }
        let paths = self.lock.paths.clone();
        self.watcher
            .watch_name(&paths.dir, &paths.request_name, true)
            .map_err(|e| Error::os(format!("cannot watch {}", paths.dir.display()), e))?;

        let mut lines = 0;
        let mut resumed = None;
        if let Some(file) = self.file.file() {
            let read_err = |e| Error::os(format!("cannot read {}", given.display()), e);
            let (dev, inode) = (self.file.dev(), self.file.inode());
            let resume = match self.opts.resume_at {
                Some(at) => Some(resume::decide(file, dev, inode, size, at).map_err(read_err)?),
                None => None,
            };
            if let Some(Resume::At(offset)) = resume {
                self.file.seek(offset);
            } else {
                let (start, count) =
                    backlog::last_lines(file, size, self.opts.lines).map_err(read_err)?;
                self.file.seek(start);
                lines = count;
            }
            resumed = resume;
        }
        // The owner key (the heartbeat logview shares this tailer by) exists
        // before `started` does: whoever sees `started` finds it.
        self.heartbeat.tick(&mut self.publisher, Instant::now())?;
        let mut started = events::started_file(
            self.heartbeat.owner(),
            &given,
            self.file.inode(),
            size,
            lines,
        );
        match &resumed {
            Some(Resume::At(_)) => started = started.with(field::RESUMED, 1),
            Some(Resume::Fallback(why)) => {
                tracing::warn!(why = %why, "cannot resume, sending the backlog");
                started = started.with(field::RESUMED, 0).with(field::RESUME, why);
            }
            None => {}
        }
        self.publisher.push_event(started)?;
        if lines == 0 && matches!(resumed, Some(Resume::At(_))) {
            // No backlog: the stream is contiguous with the dead tailer's,
            // so viewers may count back from its end at once (owner `live`).
            self.heartbeat.backlog_read(&mut self.publisher)?;
        }
        tracing::info!(path = %given.display(), stream = %self.opts.stream, lines = self.opts.lines, "following");
        Ok(())
    }

    fn follow(&mut self) -> Result<()> {
        let interval = Duration::from_millis(self.cfg.poll_interval_ms);
        let max_deadline = self.opts.max_duration.map(|d| self.started_at + d);
        let mut next_tick = Instant::now();
        let mut more = true;
        loop {
            let now = Instant::now();
            let deadline = if more {
                Some(now)
            } else {
                wait::earliest(&[Some(next_tick), max_deadline, self.publisher.next_attempt()])
            };
            let ready = wait::wait_readable(&[self.watcher.fd(), self.signals.fd()], deadline)
                .map_err(|e| Error::os("poll failed", e))?;
            if ready[1] {
                let sigs = self
                    .signals
                    .pending()
                    .map_err(|e| Error::os("signalfd", e))?;
                if let Some(&sig) = sigs
                    .iter()
                    .find(|&&s| s == libc::SIGTERM || s == libc::SIGINT)
                {
                    return self.finish(StopReason::Signal, events::signal_message(sig));
                }
            }
            if ready[0] {
                let changes = self
                    .watcher
                    .read_changes()
                    .map_err(|e| Error::os("inotify", e))?;
                if changes.lock_request {
                    if let Some(reason) = self.lock.pending_request() {
                        return self.finish(reason, events::stop_message(reason));
                    }
                }
            }
            more = self.service_file()?;
            if more {
                // Keep reading while Redis works on what was just sent.
                self.publisher.flush()?;
            } else {
                // About to sleep: read the replies too, so a dead connection
                // is noticed now rather than at the next line.
                self.publisher.sync()?;
            }
            let now = Instant::now();
            if now >= next_tick {
                if let Some(reason) = self.tick(now)? {
                    return self.finish(reason, events::stop_message(reason));
                }
                next_tick = now + interval;
            }
            if max_deadline.is_some_and(|d| now >= d) {
                let secs = self.opts.max_duration.unwrap_or_default().as_secs();
                return self.finish(
                    StopReason::MaxDuration,
                    format!("maximum duration of {secs}s reached"),
                );
            }
            if self.lease.is_idle(now) {
                let secs = self.opts.idle_exit.unwrap_or_default().as_secs();
                return self.finish(StopReason::Idle, format!("nobody watched for {secs}s"));
            }
        }
    }

    /// Housekeeping once per `poll_interval_ms`: stop requests missed by
    /// inotify, rate-limit reports, the lease, the owner heartbeat and the
    /// stream's expiry.
    fn tick(&mut self, now: Instant) -> Result<Option<StopReason>> {
        if let Some(reason) = self.lock.pending_request() {
            return Ok(Some(reason));
        }
        self.report_rate_drops()?;
        self.publisher.sync()?;
        if self.lease.check_due(now) {
            let state = self.publisher.lease_state()?;
            self.lease.observe(state, now);
        }
        self.heartbeat.tick(&mut self.publisher, now)?;
        Ok(None)
    }

    /// Reads everything available (up to a budget; `Ok(true)` if more is
    /// left) and applies rotations, truncations, deletions as they show.
    fn service_file(&mut self) -> Result<bool> {
        let mut budget = ROUND_BUDGET;
        loop {
            loop {
                let n = self.file.read(&mut self.buf).map_err(|e| {
                    Error::os(format!("cannot read {}", self.target.given.display()), e)
                })?;
                if n == 0 {
                    break;
                }
                self.feed(n)?;
                budget = budget.saturating_sub(n);
                if budget == 0 {
                    self.push_batch()?;
                    return Ok(true);
                }
            }
            self.push_batch()?;
            if std::mem::replace(&mut self.in_backlog, false) {
                self.heartbeat.backlog_read(&mut self.publisher)?;
            }
            let change = self.file.check().map_err(|e| {
                Error::os(format!("cannot stat {}", self.target.given.display()), e)
            })?;
            match change {
                None => return Ok(false),
                Some(change) => self.on_change(change)?,
            }
        }
    }

    fn on_change(&mut self, change: Change) -> Result<()> {
        self.flush_partial()?;
        let path = self.target.given.clone();
        tracing::info!(path = %path.display(), change = ?change, "file changed");
        // Watch exactly the file now open (the name may vanish again at
        // once; the next check sees that).
        if let Some(fd_path) = self.file.fd_path() {
            let _ = self.watcher.watch_file(&fd_path);
        } else {
            self.watcher.unwatch_file();
        }
        let event = match change {
            Change::Rotated {
                from_inode,
                to_inode,
            } => events::rotated(from_inode, to_inode),
            Change::Truncated { at, size } => events::truncated(at, size),
            Change::Missing => events::missing(&path),
            Change::Reappeared { inode } => events::reappeared(inode),
            Change::Refused(refusal) => {
                tracing::warn!(path = %path.display(), refusal = ?refusal, "not following what the name resolves to now");
                events::refused(&path, &refusal)
            }
        };
        self.publisher.push_event(event)
    }

    /// Writes the last lines and the `stopped` event, sets the expiry and
    /// gives the owner key back.
    fn finish(&mut self, reason: StopReason, message: String) -> Result<()> {
        if reason != StopReason::Error {
            let _ = self.service_file();
        }
        self.push_batch()?;
        self.report_rate_drops()?;
        self.publisher
            .push_event(events::stopped(reason, message.clone()))?;
        let unsent = self.publisher.drain_until(Instant::now() + STOP_DRAIN)?;
        self.publisher.expire(self.cfg.stream_expire_secs, None)?;
        self.publisher.release_owner(&self.heartbeat.value())?;
        if unsent > 0 {
            tracing::warn!(unsent, "redis unreachable at exit: lines not delivered");
        }
        tracing::info!(reason = %reason, message = %message, lines = self.publisher.lines_sent, "stopped");
        Ok(())
    }
}
