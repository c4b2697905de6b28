//! `logtail exec`: runs PROGRAM with its arguments (no shell) in its own
//! process group, streams stdout and stderr as they come (tagged by fd),
//! ends with an `exit` event; `--timeout` and SIGTERM kill the whole group.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::allowlist;
use super::batch::Batcher;
use super::config::Config;
use super::error::{Error, Result};
use super::lines::Splitter;
use super::owner::Owner;
use super::publish::Publisher;
use super::ratelimit::RateLimit;
use super::signals::{self, Signals};
use super::{events, sink, wait, STOP_DRAIN};
use crate::wire::StopReason;

/// Between SIGTERM and SIGKILL of the process group.
const KILL_GRACE: Duration = Duration::from_secs(2);
/// How long descendants may keep the pipes open after the command exited.
const PIPE_GRACE: Duration = Duration::from_secs(1);
const READ_BUF: usize = 64 * 1024;

/// What to run, from the command line.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The stream key.
    pub stream: String,
    /// Kill the group after this long.
    pub timeout: Option<Duration>,
    /// PROGRAM and ARGS.
    pub argv: Vec<OsString>,
}

/// One output pipe of the command and its line state.
struct Output<R> {
    pipe: Option<R>,
    splitter: Splitter,
    batcher: Batcher,
}

impl<R: Read + AsRawFd> Output<R> {
    fn new(pipe: Option<R>, cfg: &Config, fd: u8) -> io::Result<Self> {
        if let Some(p) = &pipe {
            set_nonblocking(p.as_raw_fd())?;
        }
        Ok(Output {
            pipe,
            splitter: Splitter::new(cfg.max_line_bytes),
            batcher: Batcher::new(cfg.batch_max_bytes, Some(fd)),
        })
    }

    fn raw_fd(&self) -> i32 {
        self.pipe.as_ref().map_or(-1, |p| p.as_raw_fd())
    }

    /// Reads what is available; closes the pipe at EOF.
    fn pump(
        &mut self,
        buf: &mut [u8],
        publisher: &mut Publisher,
        limiter: &mut RateLimit,
    ) -> Result<()> {
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(());
        };
        loop {
            match pipe.read(buf) {
                Ok(0) => {
                    self.pipe = None;
                    break;
                }
                Ok(n) => {
                    limiter.refill(Instant::now());
                    let mut failed = None;
                    let batcher = &mut self.batcher;
                    self.splitter.push(&buf[..n], &mut |line, cut| {
                        if failed.is_none() && limiter.allow() {
                            if let Err(e) =
                                sink::add_line(batcher, publisher, limiter, line, cut, None)
                            {
                                failed = Some(e);
                            }
                        }
                    });
                    if let Some(e) = failed {
                        return Err(e);
                    }
                    // One entry per read keeps stdout and stderr in the order they came.
                    sink::push_batch(&mut self.batcher, publisher)?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::os("cannot read the command's output", e)),
            }
        }
        Ok(())
    }

    /// The command is gone: its last unterminated line is a line.
    fn finish(&mut self, publisher: &mut Publisher, limiter: &mut RateLimit) -> Result<()> {
        self.pipe = None;
        let mut failed = None;
        let batcher = &mut self.batcher;
        self.splitter.flush_partial(&mut |line, cut| {
            if let Err(e) = sink::add_line(batcher, publisher, limiter, line, cut, None) {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        sink::push_batch(&mut self.batcher, publisher)
    }
}

fn set_nonblocking(fd: i32) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn kill_group(pgid: i32, sig: i32) {
    // SAFETY: plain syscall; ESRCH (group gone) is fine.
    unsafe { libc::kill(-pgid, sig) };
}

fn status_text(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => code.to_string(),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "unknown".into(),
    }
}

/// Runs `exec` to the end.
pub fn run(cfg: &Config, opts: &ExecOptions) -> Result<()> {
    allowlist::check_stream_syntax(&opts.stream)?;
    let Some(program) = opts.argv.first() else {
        return Err(Error::Usage {
            arg: "PROGRAM",
            reason: "missing after --".into(),
        });
    };
    let program_name = program.to_string_lossy().into_owned();
    let sigs = Signals::new(true).map_err(|e| Error::os("cannot set up signal handling", e))?;
    let mut publisher = Publisher::connect(cfg, cfg.publish_target(&opts.stream))?;
    let owner = Owner::current();

    let mut cmd = Command::new(program);
    cmd.args(&opts.argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: the closure only calls async-signal-safe functions.
    unsafe {
        cmd.pre_exec(signals::unblock_all_in_child);
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let err = Error::os(format!("cannot run {program_name}"), e);
            publisher.push_event(events::stopped(StopReason::Error, err.to_string()))?;
            publisher.drain_until(Instant::now() + STOP_DRAIN)?;
            publisher.expire(cfg.stream_expire_secs, None)?;
            return Err(err);
        }
    };
    tracing::info!(program = %program_name, pid = child.id(), stream = %opts.stream, "running");
    publisher.push_event(events::started_exec(&owner, &program_name, child.id()))?;
    publisher.flush()?;
    publisher.expire(cfg.stream_expire_secs + 120, Some(&owner.value(false)))?;

    let mut run = Run {
        cfg,
        sigs,
        publisher,
        limiter: RateLimit::new(cfg.rate_limit_lines_per_sec, Instant::now()),
        owner,
        pgid: child.id() as i32,
        stop: None,
    };
    let result = run.supervise(child, opts.timeout);
    if let Err(e) = &result {
        kill_group(run.pgid, libc::SIGKILL);
        let _ = run
            .publisher
            .push_event(events::stopped(StopReason::Error, e.to_string()));
        let _ = run.publisher.drain_until(Instant::now() + STOP_DRAIN);
        let _ = run.publisher.expire(cfg.stream_expire_secs, None);
        let _ = run.publisher.release_owner(&run.owner.value(false));
    }
    result
}

struct Run<'a> {
    cfg: &'a Config,
    sigs: Signals,
    publisher: Publisher,
    limiter: RateLimit,
    owner: Owner,
    pgid: i32,
    /// Why the group is being killed (timeout or signal), once it is.
    stop: Option<StopReason>,
}

impl Run<'_> {
    fn supervise(&mut self, mut child: Child, timeout: Option<Duration>) -> Result<()> {
        let mut out: Output<ChildStdout> = Output::new(child.stdout.take(), self.cfg, 1)
            .map_err(|e| Error::os("cannot set up the stdout pipe", e))?;
        let mut err: Output<ChildStderr> = Output::new(child.stderr.take(), self.cfg, 2)
            .map_err(|e| Error::os("cannot set up the stderr pipe", e))?;
        let timeout_at = timeout.map(|d| Instant::now() + d);
        let mut kill_at: Option<Instant> = None;
        let mut status: Option<ExitStatus> = None;
        let mut pipes_deadline: Option<Instant> = None;
        let mut buf = vec![0u8; READ_BUF];
        loop {
            if status.is_none() {
                status = child.try_wait().map_err(|e| Error::os("waitpid", e))?;
                if status.is_some() {
                    pipes_deadline = Some(Instant::now() + PIPE_GRACE);
                }
            }
            if status.is_some() && out.pipe.is_none() && err.pipe.is_none() {
                break;
            }
            let now = Instant::now();
            if pipes_deadline.is_some_and(|d| now >= d) {
                // Descendants still hold the pipes after the command exited.
                kill_group(self.pgid, libc::SIGKILL);
                break;
            }
            if self.stop.is_none() && timeout_at.is_some_and(|t| now >= t) {
                tracing::warn!(pgid = self.pgid, "timeout: killing the process group");
                self.begin_kill(StopReason::Timeout, &mut kill_at);
            }
            if kill_at.is_some_and(|k| now >= k) {
                kill_group(self.pgid, libc::SIGKILL);
                kill_at = None;
            }
            let deadline = wait::earliest(&[
                if self.stop.is_none() {
                    timeout_at
                } else {
                    None
                },
                kill_at,
                pipes_deadline,
                self.publisher.next_attempt(),
            ]);
            let ready =
                wait::wait_readable(&[out.raw_fd(), err.raw_fd(), self.sigs.fd()], deadline)
                    .map_err(|e| Error::os("poll failed", e))?;
            if ready[0] {
                out.pump(&mut buf, &mut self.publisher, &mut self.limiter)?;
            }
            if ready[1] {
                err.pump(&mut buf, &mut self.publisher, &mut self.limiter)?;
            }
            if ready[2] {
                let got = self.sigs.pending().map_err(|e| Error::os("signalfd", e))?;
                if got.iter().any(|&s| s == libc::SIGTERM || s == libc::SIGINT)
                    && self.stop.is_none()
                {
                    tracing::warn!(pgid = self.pgid, "signal: stopping the command");
                    self.begin_kill(StopReason::Signal, &mut kill_at);
                }
            }
            self.publisher.sync()?;
        }
        // Whatever happened, the group must not outlive a timeout or a stop.
        if self.stop.is_some() {
            kill_group(self.pgid, libc::SIGKILL);
        }
        let status = match status {
            Some(s) => s,
            None => child.wait().map_err(|e| Error::os("waitpid", e))?,
        };
        out.finish(&mut self.publisher, &mut self.limiter)?;
        err.finish(&mut self.publisher, &mut self.limiter)?;
        let dropped = self.limiter.take_dropped();
        if dropped > 0 {
            self.publisher.push_event(events::rate_dropped(dropped))?;
        }
        let text = status_text(status);
        self.publisher.push_event(events::exit(&text))?;
        let reason = self.stop.unwrap_or(StopReason::Finished);
        let message = match reason {
            StopReason::Timeout => "timeout: the command's process group was killed".to_owned(),
            StopReason::Signal => "logtail was asked to stop; the command was killed".to_owned(),
            _ => format!("command finished: {text}"),
        };
        self.publisher
            .push_event(events::stopped(reason, message))?;
        let unsent = self.publisher.drain_until(Instant::now() + STOP_DRAIN)?;
        self.publisher.expire(self.cfg.stream_expire_secs, None)?;
        self.publisher.release_owner(&self.owner.value(false))?;
        if unsent > 0 {
            tracing::warn!(unsent, "redis unreachable at exit: lines not delivered");
        }
        tracing::info!(status = %text, reason = %reason, "command done");
        Ok(())
    }

    fn begin_kill(&mut self, reason: StopReason, kill_at: &mut Option<Instant>) {
        self.stop = Some(reason);
        kill_group(self.pgid, libc::SIGTERM);
        *kill_at = Some(Instant::now() + KILL_GRACE);
    }
}
