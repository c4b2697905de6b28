//! Gives freed heap memory back to the system after a burst. glibc keeps
//! what a burst freed (per-thread arenas, holes below the top of the heap)
//! for good: after a 1,000-viewer run or a flood of requests logview stayed
//! hundreds of MiB above idle. Two measures, glibc only:
//! * [`configure`] fixes the mmap threshold at [`MMAP_THRESHOLD`]: blocks at
//!   least that big (argon2's 19 MiB workspace, large batches) are mapped on
//!   their own and unmapped when freed. By default glibc raises the
//!   threshold after the first such free, and from then on keeps them in a
//!   thread's arena, where `malloc_trim` cannot reach the top of the heap;
//! * [`configure`] also caps the arenas at one per CPU (glibc's default is
//!   eight per CPU, each keeping its own free memory); called before the
//!   runtime starts (`src/bin/logview.rs`) it covers every thread;
//! * [`run`] calls `malloc_trim(0)` every [`PERIOD`] on the blocking pool: it
//!   releases the free pages inside every arena, and is cheap when there are none.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often freed memory is handed back.
pub const PERIOD: Duration = Duration::from_secs(20);

/// Blocks from this size on are mapped and unmapped on their own.
pub const MMAP_THRESHOLD: usize = 1 << 20;

/// Sets glibc's allocation thresholds for this process (see the module doc).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn configure() {
    // SAFETY: mallopt only sets a parameter of glibc's allocator.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = libc::c_int::try_from(cpus).unwrap_or(libc::c_int::MAX);
    // SAFETY: as above.
    let ok = ok & unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    if ok != 1 {
        tracing::warn!("cannot set the allocator's thresholds; memory may stay high after bursts");
    }
}

/// Other allocators need nothing.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn configure() {}

/// Runs until `stop` is cancelled.
pub async fn run(stop: CancellationToken) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let _ = tokio::task::spawn_blocking(release).await;
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release() {
    // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointer.
    let released = unsafe { libc::malloc_trim(0) };
    if released == 1 {
        tracing::debug!("freed heap memory returned to the system");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release() {}
