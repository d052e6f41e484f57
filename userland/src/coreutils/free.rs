//! `free [-b|-k|-m|-g]`: memory usage from `/proc/meminfo` in procps'
//! layout (KiB by default).

use super::{bad_option, prog};
use ulib::{ueprintln, uprintln};

/// `Key:  N kB` lines of /proc/meminfo, values in KiB.
pub fn parse_meminfo(s: &str) -> Vec<(String, u64)> {
    s.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let n = v.split_whitespace().next()?.parse().ok()?;
            Some((k.trim().to_string(), n))
        })
        .collect()
}

/// The two rows of free: Mem (total used free shared buff/cache available)
/// and Swap (total used free), in KiB.
pub fn rows(info: &[(String, u64)]) -> ([u64; 6], [u64; 3]) {
    let g = |k: &str| info.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    let total = g("MemTotal").unwrap_or(0);
    let free = g("MemFree").unwrap_or(0);
    let cache =
        g("Buffers").unwrap_or(0) + g("Cached").unwrap_or(0) + g("SReclaimable").unwrap_or(0);
    let used = total.saturating_sub(free).saturating_sub(cache);
    let avail = g("MemAvailable").unwrap_or(free);
    let st = g("SwapTotal").unwrap_or(0);
    let sf = g("SwapFree").unwrap_or(0);
    (
        [total, used, free, g("Shmem").unwrap_or(0), cache, avail],
        [st, st.saturating_sub(sf), sf],
    )
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "free");
    let mut scale: (u64, u64) = (1, 1); // multiply, divide (from KiB)
    for a in &args[1..] {
        scale = match a.as_str() {
            "-b" | "--bytes" => (1024, 1),
            "-k" | "--kibi" => (1, 1),
            "-m" | "--mebi" => (1, 1024),
            "-g" | "--gibi" => (1, 1024 * 1024),
            o => return bad_option(&p, o, 1),
        };
    }
    let info = match ulib::read_file("/proc/meminfo") {
        Ok(b) => parse_meminfo(&String::from_utf8_lossy(&b)),
        Err(e) => {
            ueprintln!("{p}: /proc/meminfo: {}", e.message());
            return 1;
        }
    };
    let (mem, swap) = rows(&info);
    let f = |v: u64| v * scale.0 / scale.1;
    uprintln!("               total        used        free      shared  buff/cache   available");
    uprintln!(
        "{:<8}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}",
        "Mem:",
        f(mem[0]),
        f(mem[1]),
        f(mem[2]),
        f(mem[3]),
        f(mem[4]),
        f(mem[5])
    );
    uprintln!(
        "{:<8}{:>12}{:>12}{:>12}",
        "Swap:",
        f(swap[0]),
        f(swap[1]),
        f(swap[2])
    );
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_rows() {
        let info = parse_meminfo(
            "MemTotal:  1000 kB\nMemFree:  400 kB\nMemAvailable: 700 kB\nBuffers: 10 kB\nCached: 90 kB\nShmem: 5 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
        );
        let (m, s) = rows(&info);
        assert_eq!(m, [1000, 500, 400, 5, 100, 700]);
        assert_eq!(s, [0, 0, 0]);
    }
}
