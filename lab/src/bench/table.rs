//! The bench's markdown table: one per route count, a column per originator, and each
//! figure's ratio to the best anchor (BIRD 2, GoBGP, ExaBGP) on that row.

use super::Run;
use super::tor::Export;
use std::fmt::Write as _;
use std::time::Duration;

/// How a row's figures print.
#[derive(Clone, Copy)]
enum Unit {
    Time,
    Count,
    Bytes,
}

impl Unit {
    /// The smallest best figure a ratio is shown against: below a millisecond (or a
    /// unit), a ratio would only divide by rounding noise.
    fn smallest(self) -> f64 {
        match self {
            Unit::Time => 0.001,
            Unit::Count | Unit::Bytes => 1.0,
        }
    }
}

/// A row: its title, unit, and how to read its figure from a run.
struct Row {
    title: &'static str,
    unit: Unit,
    value: fn(&Run) -> Option<f64>,
}

impl Row {
    /// A row of durations, in seconds.
    const fn time(title: &'static str, value: fn(&Run) -> Option<f64>) -> Row {
        Row::new(title, Unit::Time, value)
    }

    /// A row of counts.
    const fn count(title: &'static str, value: fn(&Run) -> Option<f64>) -> Row {
        Row::new(title, Unit::Count, value)
    }

    /// A row of sizes, in bytes.
    const fn bytes(title: &'static str, value: fn(&Run) -> Option<f64>) -> Row {
        Row::new(title, Unit::Bytes, value)
    }

    const fn new(title: &'static str, unit: Unit, value: fn(&Run) -> Option<f64>) -> Row {
        Row { title, unit, value }
    }
}

fn secs(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

const ROWS: [Row; 15] = [
    Row::time("start -> session Established", |r| secs(r.established)),
    Row::time("Established -> ToR RIB holds all", |r| {
        secs(r.rib_full?.checked_sub(r.established?))
    }),
    Row::time("start -> ToR RIB holds all", |r| secs(r.rib_full)),
    Row::time("start -> ToR FIB holds all", |r| secs(r.fib_full)),
    Row::time("bulk withdraw -> ToR RIB empty", |r| secs(r.rib_empty)),
    Row::time("bulk withdraw -> ToR FIB empty", |r| secs(r.fib_empty)),
    Row::count("UPDATEs received, announce", |r| {
        r.announce.map(|a| a.updates as f64)
    }),
    Row::bytes("bytes received, announce", |r| {
        r.announce.map(|a| a.bytes as f64)
    }),
    Row::count("UPDATEs received, withdraw", |r| {
        r.withdraw.map(|a| a.updates as f64)
    }),
    Row::bytes("bytes received, withdraw", |r| {
        r.withdraw.map(|a| a.bytes as f64)
    }),
    Row::bytes("peak RSS (VmHWM)", |r| r.usage.map(|u| u.peak_rss as f64)),
    Row::bytes("peak RSS before a relist", |r| {
        r.relist.map(|x| x.peak_before as f64)
    }),
    Row::bytes("peak RSS after a relist (410 on every watch)", |r| {
        r.relist.map(|x| x.peak_after as f64)
    }),
    Row::time("CPU (user + system), whole life, relist apart", |r| {
        let relist = r.relist.map_or(Duration::ZERO, |x| x.cpu);
        r.usage.map(|u| u.cpu.saturating_sub(relist).as_secs_f64())
    }),
    Row::time("CPU of the relist", |r| {
        r.relist.map(|x| x.cpu.as_secs_f64())
    }),
];

/// The tables of every route count in `runs`, with the notes of incomplete runs and the
/// poll resolution.
pub fn render(runs: &[Run]) -> String {
    let mut sizes: Vec<usize> = runs.iter().map(|r| r.n).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut out = String::new();
    for n in sizes {
        let mut columns: Vec<&Run> = runs.iter().filter(|r| r.n == n).collect();
        columns.sort_by_key(|r| r.kind);
        render_one(&mut out, n, &columns);
    }
    out
}

fn render_one(out: &mut String, n: usize, runs: &[&Run]) {
    let _ = writeln!(out, "\n### N = {} routes\n", count(n as f64));
    let _ = write!(out, "| N = {} |", count(n as f64));
    for r in runs {
        let _ = write!(out, " {} |", r.kind.title());
    }
    let _ = write!(out, "\n|---|");
    for _ in runs {
        let _ = write!(out, "---|");
    }
    let _ = writeln!(out);
    for row in &ROWS {
        let best = runs
            .iter()
            .filter(|r| r.kind.is_anchor())
            .filter_map(|r| (row.value)(r))
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
        let _ = write!(out, "| {} |", row.title);
        for r in runs {
            let cell = match (row.value)(r) {
                None => "—".to_string(),
                Some(v) => {
                    let ratio = match best {
                        Some(b) if b >= row.unit.smallest() => format!(" ({:.1}x)", v / b),
                        _ => String::new(),
                    };
                    format!("{}{ratio}", show(row.unit, v))
                }
            };
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out);
    }
    let rib = runs.iter().map(|r| r.rib_poll).max().unwrap_or_default();
    let fib = runs.iter().map(|r| r.fib_poll).max().unwrap_or_default();
    let _ = writeln!(
        out,
        "\nResolution: the ToR's summary was polled every {} at most, its FIB every {} \
         (each time is the end of the first poll that saw it). Ratios are to the best \
         anchor (BIRD 2, GoBGP, ExaBGP) on the row.",
        show(Unit::Time, rib.as_secs_f64()),
        show(Unit::Time, fib.as_secs_f64())
    );
    for export in [Export::All, Export::None] {
        if runs.iter().any(|r| r.export == export) {
            let _ = writeln!(out, "{}", export_note(export));
        }
    }
    for r in runs.iter().filter(|r| !r.notes.is_empty()) {
        for note in &r.notes {
            let _ = writeln!(out, "- {}: {}", r.kind.title(), one_line(note));
        }
    }
}

/// What the ToR sent the originator, and so what a withdraw cost it.
fn export_note(export: Export) -> &'static str {
    match export {
        Export::All => {
            "The ToR advertised every route back to the originator (FRR's default) and had \
             finished doing so before each withdraw, which it then also retracted."
        }
        Export::None => "The ToR advertised nothing to the originator (outbound deny-all).",
    }
}

fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 600 {
        let cut: String = joined.chars().take(600).collect();
        format!("{cut}...")
    } else {
        joined
    }
}

fn show(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Time if v < 1.0 => format!("{:.0} ms", v * 1000.0),
        Unit::Time => format!("{v:.2} s"),
        Unit::Count => count(v),
        Unit::Bytes if v >= 1024.0 * 1024.0 => format!("{:.1} MiB", v / 1024.0 / 1024.0),
        Unit::Bytes if v >= 1024.0 => format!("{:.1} KiB", v / 1024.0),
        Unit::Bytes => format!("{v:.0} B"),
    }
}

/// `12345` as `12,345`.
fn count(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
