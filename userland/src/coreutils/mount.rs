//! `mount`: without arguments, list `/proc/mounts` as util-linux does
//! (`proc on /proc type proc (rw,nosuid)`); `mount [-t TYPE] [-o OPTS]
//! SOURCE TARGET` calls mount(2) with the generic flags taken out of OPTS.

use super::prog;
use ulib::{ueprintln, uprintln};

pub const MS_RDONLY: u64 = 1;
pub const MS_NOSUID: u64 = 2;
pub const MS_NODEV: u64 = 4;
pub const MS_NOEXEC: u64 = 8;
pub const MS_REMOUNT: u64 = 32;

/// Split `-o` options into mount flags and the fs-specific data string.
pub fn parse_opts(opts: &str) -> (u64, String) {
    let mut flags = 0;
    let mut data = Vec::new();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => flags |= MS_RDONLY,
            "rw" | "defaults" => {}
            "nosuid" => flags |= MS_NOSUID,
            "nodev" => flags |= MS_NODEV,
            "noexec" => flags |= MS_NOEXEC,
            "remount" => flags |= MS_REMOUNT,
            o => data.push(o),
        }
    }
    (flags, data.join(","))
}

fn usage(p: &str) -> i32 {
    ueprintln!("Usage: {p} [-t TYPE] [-o OPTIONS] SOURCE TARGET");
    ueprintln!("       {p}");
    1
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "mount");
    let mut fstype = None;
    let mut opts = String::new();
    let mut ops = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-t" | "-o" => {
                let Some(v) = args.get(i + 1) else {
                    return usage(&p);
                };
                if args[i] == "-t" {
                    fstype = Some(v.clone());
                } else {
                    opts = v.clone();
                }
                i += 1;
            }
            o if o.starts_with('-') => return usage(&p),
            o => ops.push(o.to_string()),
        }
        i += 1;
    }
    if ops.is_empty() && fstype.is_none() {
        let table = match ulib::read_file("/proc/mounts") {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                ueprintln!("{p}: /proc/mounts: {}", e.message());
                return 1;
            }
        };
        for l in table.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() >= 4 {
                uprintln!("{} on {} type {} ({})", f[0], f[1], f[2], f[3]);
            }
        }
        return 0;
    }
    if ops.len() != 2 {
        return usage(&p);
    }
    let fstype = fstype.unwrap_or_else(|| ops[0].clone());
    let (flags, data) = parse_opts(&opts);
    let data = (!data.is_empty()).then_some(data.as_str());
    match ulib::mount(&ops[0], &ops[1], &fstype, flags, data) {
        Ok(()) => 0,
        Err(e) => {
            ueprintln!("{p}: {}: {}", ops[1], e.message());
            32
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn opts() {
        assert_eq!(
            super::parse_opts("ro,nosuid,mode=755"),
            (3, "mode=755".into())
        );
        assert_eq!(super::parse_opts(""), (0, String::new()));
    }
}
