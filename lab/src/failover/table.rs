//! The failover table: one row per fault and mode, with the detection goal beside each
//! detection time.

use super::measure::Measurement;
use std::fmt::Write as _;
use std::time::Duration;

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| d.as_millis().to_string())
}

fn secs(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.2}", d.as_secs_f64()))
}

/// Whether a detection met its mode's goal: `yes`, `NO`, or blank without a goal.
fn verdict(m: &Measurement) -> &'static str {
    match (m.mode.goal(), m.detect) {
        (Some(goal), Some(d)) if d < goal => "yes",
        (Some(_), _) => "NO",
        (None, _) => "",
    }
}

/// The markdown table of `runs`, in their order.
pub fn render(runs: &[Measurement]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| fault | mode | detect (ms) | goal | met | failed requests (of sent) | re-add (s) | failed at re-add | ToR's BFD went Down and Up |"
    );
    let _ = writeln!(t, "|---|---|---:|---|---|---:|---:|---:|---|");
    for m in runs {
        let goal = m
            .mode
            .goal()
            .map_or(String::new(), |g| format!("< {} ms", g.as_millis()));
        let bfd = match m.tor_bfd_down_and_up {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {goal} | {} | {} ({}) | {} | {} | {bfd} |",
            m.fault.title(),
            m.mode.title(),
            ms(m.detect),
            verdict(m),
            m.during.failed,
            m.during.sent,
            secs(m.readd),
            m.after.failed,
        );
    }
    for m in runs.iter().filter(|m| !m.notes.is_empty()) {
        let _ = writeln!(
            t,
            "\n{}, {}: {}",
            m.fault.title(),
            m.mode.title(),
            m.notes.join("; ")
        );
    }
    t
}

#[cfg(test)]
mod tests;
