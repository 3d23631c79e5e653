//! What a process cost over its whole life, read from `/proc` just before it is stopped:
//! peak resident memory (VmHWM) and CPU time (utime + stime).

use std::time::Duration;

/// A process's peak memory and CPU so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// VmHWM, bytes.
    pub peak_rss: u64,
    /// utime + stime.
    pub cpu: Duration,
}

/// Reads the usage of `pid`, or says why it cannot.
pub fn usage(pid: u32) -> Result<Usage, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    Ok(Usage {
        peak_rss: parse_hwm(&status).ok_or_else(|| format!("no VmHWM for {pid}"))?,
        cpu: parse_cpu(&stat, ticks_per_second())
            .ok_or_else(|| format!("bad /proc/{pid}/stat: {stat}"))?,
    })
}

/// The `VmHWM:   1234 kB` line, in bytes.
pub fn parse_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command name (field
/// 2) may hold spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_cpu(stat: &str, ticks: u64) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = ticks.max(1);
    Some(Duration::from_nanos(
        (utime + stime).saturating_mul(1_000_000_000) / ticks,
    ))
}

fn ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions; a negative answer means "unknown".
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).unwrap_or(100)
}

#[cfg(test)]
mod tests;
