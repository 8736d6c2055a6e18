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
