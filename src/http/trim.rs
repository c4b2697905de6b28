//! Gives freed heap memory back to the system after a burst. glibc keeps
//! what a burst freed (per-thread arenas, holes below the top of the heap)
//! for good: after a 1,000-viewer run or a flood of requests logview stayed
//! hundreds of MiB above idle. `malloc_trim(0)` releases every free page of
//! every arena; it is cheap when there is nothing to release, so it runs
//! every [`PERIOD`] on the blocking pool. Other allocators need nothing here.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often freed memory is handed back.
pub const PERIOD: Duration = Duration::from_secs(20);

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
