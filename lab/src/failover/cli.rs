//! The command lines of `lab failover` and `lab bfd-soak`, and what they print.

use super::fault::Fault;
use super::measure::{Measurement, Settings};
use super::mode::Mode;
use super::soak::{self, SoakOptions};
use super::{Options, missing, run_all, table};
use std::path::PathBuf;
use std::time::Duration;

/// `lab failover`.
#[derive(clap::Args, Debug)]
pub struct FailoverArgs {
    /// Detection modes: 300 (BFD 300 ms x 3), 50 (BFD 50 ms x 3), off (hold timer).
    #[arg(long, value_delimiter = ',', default_values_t = ["300".to_string(), "50".into(), "off".into()])]
    modes: Vec<String>,
    /// Faults: link (link cut), drop (all packets lost), freeze (SIGSTOP).
    #[arg(long, value_delimiter = ',', default_values_t = ["link".to_string(), "drop".into(), "freeze".into()])]
    faults: Vec<String>,
    /// Times each fault is measured in each mode.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// The client starts a request every this many milliseconds.
    #[arg(long, default_value_t = 10)]
    every_ms: u64,
    /// A request without an answer after this many milliseconds failed.
    #[arg(long, default_value_t = 300)]
    timeout_ms: u64,
    /// The kube-anycast binary (default: build the release binary and use it).
    #[arg(long)]
    binary: Option<PathBuf>,
}

/// `lab bfd-soak`.
#[derive(clap::Args, Debug)]
pub struct SoakArgs {
    /// BFD timers: 300 (300 ms x 3) or 50 (50 ms x 3).
    #[arg(long, default_value = "300")]
    mode: String,
    /// How long to watch the session.
    #[arg(long, default_value_t = 5.0)]
    minutes: f64,
    /// Busy loops in the node's namespace (default: one per core).
    #[arg(long)]
    busy_loops: Option<usize>,
    /// The kube-anycast binary (default: build the release binary and use it).
    #[arg(long)]
    binary: Option<PathBuf>,
}

fn binary(given: Option<PathBuf>) -> Result<PathBuf, String> {
    match given {
        Some(b) => Ok(b),
        None => crate::bench::binary::build_kube_anycast(true),
    }
}

fn parse_all<T>(
    names: &[String],
    what: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    names
        .iter()
        .map(|n| parse(n).ok_or_else(|| format!("--{what} {n}: no such {what}")))
        .collect()
}

/// Says where and on what the numbers were taken, so they can be compared.
fn machine() -> String {
    let date = crate::process::run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let kernel = crate::process::run("uname", &["-r"]).unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{}, kernel {}, {cores} core(s), load average {}",
        date.trim(),
        kernel.trim(),
        load.join(" ")
    )
}

/// Runs `lab failover`.
pub fn failover(args: FailoverArgs) -> Result<(), String> {
    let modes = parse_all(&args.modes, "modes", Mode::parse)?;
    let faults = parse_all(&args.faults, "faults", Fault::parse)?;
    let lacking = missing(&faults);
    if !lacking.is_empty() {
        return Err(format!(
            "the lab cannot run; missing: {}",
            lacking.join(", ")
        ));
    }
    let options = Options {
        binary: binary(args.binary)?,
        modes,
        faults,
        repeat: args.repeat.max(1),
        request_every: Duration::from_millis(args.every_ms.max(1)),
        settings: Settings {
            request_timeout: Duration::from_millis(args.timeout_ms.max(1)),
            ..Settings::default()
        },
    };
    eprintln!(
        "failover: {}; kube-anycast is {}; node2 suffers each fault; one request every {:?}, failed after {:?}",
        machine(),
        options.binary.display(),
        options.request_every,
        options.settings.request_timeout
    );
    let runs = run_all(&options, |m: &Measurement| {
        eprintln!(
            "failover: {}, {}: detect {:?}, {} of {} requests failed, re-add {:?}{}",
            m.mode.title(),
            m.fault.title(),
            m.detect,
            m.during.failed,
            m.during.sent,
            m.readd,
            if m.notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", m.notes.join("; "))
            }
        );
    });
    println!("{}", table::render(&runs));
    println!("Machine: {}", machine());
    Ok(())
}

/// Runs `lab bfd-soak`.
pub fn bfd_soak(args: SoakArgs) -> Result<(), String> {
    let lacking = missing(&[]);
    if !lacking.is_empty() {
        return Err(format!(
            "the lab cannot run; missing: {}",
            lacking.join(", ")
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mode = match Mode::parse(&args.mode) {
        Some(mode) if mode.timers().is_some() => mode,
        _ => return Err(format!("--mode {}: 300 or 50", args.mode)),
    };
    let options = SoakOptions {
        binary: binary(args.binary)?,
        mode,
        duration: Duration::from_secs_f64(args.minutes.max(0.0) * 60.0),
        busy_loops: args.busy_loops.unwrap_or(cores),
    };
    eprintln!(
        "bfd-soak: {}; kube-anycast is {}; {}, {} busy loop(s) for {:.1} min",
        machine(),
        options.binary.display(),
        mode.title(),
        options.busy_loops,
        args.minutes
    );
    let report = soak::run(&options, |line| eprintln!("bfd-soak: {line}"))?;
    println!("{}", soak::render(&report));
    if report.stayed_up() {
        Ok(())
    } else {
        Err("the BFD session did not stay Up".into())
    }
}
