//! Memory figures of this process from `/proc/self/status` (Linux).

/// Memory figures in bytes.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    /// Resident set size now (`VmRSS`).
    pub rss: u64,
    /// Peak resident set size (`VmHWM`).
    pub peak_rss: u64,
    /// Resident anonymous memory (`RssAnon`): heap and stacks, without mapped files.
    pub rss_anon: u64,
    /// Resident file-backed memory (`RssFile`), e.g. memory-mapped chunk files.
    pub rss_file: u64,
}

/// Reads the current figures; zeros where the platform does not provide them.
pub fn memory() -> Memory {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return Memory::default();
    };
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    Memory {
        rss: field("VmRSS:"),
        peak_rss: field("VmHWM:"),
        rss_anon: field("RssAnon:"),
        rss_file: field("RssFile:"),
    }
}

/// CPU time this process has used so far (user + system, all threads), in seconds, from
/// `/proc/self/stat`; 0 where the platform does not provide it. Resolution is one clock tick
/// (10 ms on Linux), enough for runs of seconds.
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are
    // plain. utime and stime are fields 14 and 15, so the 12th and 13th after it.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let mut fields = rest.split_whitespace().skip(11);
    let ticks = |f: Option<&str>| f.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let (utime, stime) = (ticks(fields.next()), ticks(fields.next()));
    // The kernel reports in USER_HZ, which is 100 on every Linux architecture we run on.
    (utime + stime) as f64 / 100.0
}
