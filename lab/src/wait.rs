//! Waiting for a lab condition with a deadline: the only way lab code waits. A deadline
//! bounds a wait; it is never a timing assertion.

use std::time::{Duration, Instant};

/// How long to wait for a session to come up or a RIB to converge. Generous: this is a
/// deadline for a wait, never a timing assertion.
pub const CONVERGE: Duration = Duration::from_secs(30);

/// Polls `check` every 200 ms until it returns `Ok`, and panics with the last error if
/// `deadline` passes first. `what` names the awaited condition in the panic message.
pub fn wait_until<T>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return v,
            Err(e) if start.elapsed() >= deadline => {
                panic!("timed out after {deadline:?} waiting for {what}: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Checks `check` every 250 ms for `period` and panics at the first failure: for
/// conditions that must hold throughout (a session that must never come up).
pub fn holds_for(what: &str, period: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let start = Instant::now();
    while start.elapsed() < period {
        if let Err(e) = check() {
            panic!("{what} stopped holding after {:?}: {e}", start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
