//! Waiting in the rack verbs: polls with a deadline that a Ctrl-C (or SIGTERM, SIGHUP)
//! ends early. While `up` builds the rack these signals only raise a flag, so `up` stops
//! at the next step and removes what it made instead of dying half-way.

use super::LabError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn note_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on SIGINT, SIGTERM and SIGHUP raise the flag instead of ending the process.
pub fn catch_interrupts() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(signal, note_signal as *const () as libc::sighandler_t);
        }
    }
}

/// [`LabError::Interrupted`] once a caught signal arrived.
pub fn check_interrupt() -> Result<(), LabError> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(LabError::Interrupted)
    } else {
        Ok(())
    }
}

/// Polls `check` every 50 ms until it is true (returns true), or `deadline` passes or a
/// caught signal arrives (returns false). The condition is checked before any sleep: it
/// may already hold.
pub fn poll(deadline: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() >= deadline || check_interrupt().is_err() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests;
