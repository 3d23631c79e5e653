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
    check: impl FnMut() -> Result<T, String>,
) -> T {
    poll_until(what, deadline, Duration::from_millis(200), check).unwrap_or_else(|e| panic!("{e}"))
}

/// Polls `check` every `every` until it returns `Ok`; once `deadline` has passed, the
/// last error, as a value: for waits whose failure is a result to report, not a broken
/// lab. `what` names the awaited condition in the error.
pub fn poll_until<T>(
    what: &str,
    deadline: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> Result<T, String> {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() >= deadline => {
                return Err(format!(
                    "timed out after {deadline:?} waiting for {what}: {e}"
                ));
            }
            Err(_) => std::thread::sleep(every),
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
