//! Resident memory of this process, from `/proc/self/status` (Linux).

/// Resident set size now and at its peak, in KiB (`VmRSS`, `VmHWM`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`: resident now.
    pub now_kib: u64,
    /// `VmHWM`: the peak resident set size since the process started.
    pub peak_kib: u64,
}

/// Reads `VmRSS` and `VmHWM`; `None` where `/proc` is not available.
pub fn read() -> Option<Rss> {
    parse(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// Parses the two fields out of the text of a `/proc/<pid>/status` file.
pub fn parse(status: &str) -> Option<Rss> {
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
    };
    Some(Rss { now_kib: field("VmRSS:")?, peak_kib: field("VmHWM:")? })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_status() {
        let s = "Name:\tx\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t1\n";
        assert_eq!(super::parse(s), Some(super::Rss { now_kib: 10_240, peak_kib: 20_480 }));
        assert_eq!(super::parse("Name:\tx\n"), None);
        if cfg!(target_os = "linux") {
            let r = super::read().expect("procfs");
            assert!(r.peak_kib >= r.now_kib && r.now_kib > 0);
        }
    }
}
