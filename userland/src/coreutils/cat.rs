//! `cat [-n] [FILE...]`: concatenate files (`-` or none: stdin) to stdout.

use super::{bad_option, close_input, open_input, prog};
use ulib::ueprintln;

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "cat");
    let mut number = false;
    let mut files = Vec::new();
    for a in &args[1..] {
        match a.as_str() {
            "-n" => number = true,
            "-u" => {}
            "-" => files.push(a.clone()),
            o if o.starts_with('-') => return bad_option(&p, o, 1),
            f => files.push(f.to_string()),
        }
    }
    if files.is_empty() {
        files.push("-".into());
    }
    let mut st = 0;
    let mut line = 1u64;
    let mut at_start = true;
    let mut buf = vec![0u8; 65536];
    for f in &files {
        let fd = match open_input(f) {
            Ok(fd) => fd,
            Err(e) => {
                ueprintln!("{p}: {f}: {}", e.message());
                st = 1;
                continue;
            }
        };
        loop {
            let n = match ulib::read(fd, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    ueprintln!("{p}: {f}: {}", e.message());
                    st = 1;
                    break;
                }
            };
            let out = if number {
                let mut o = Vec::with_capacity(n + 16);
                for &b in &buf[..n] {
                    if at_start {
                        o.extend_from_slice(format!("{line:6}\t").as_bytes());
                        line += 1;
                    }
                    o.push(b);
                    at_start = b == b'\n';
                }
                o
            } else {
                buf[..n].to_vec()
            };
            if let Err(e) = ulib::write_all(1, &out) {
                ueprintln!("{p}: write error: {}", e.message());
                close_input(fd);
                return 1;
            }
        }
        close_input(fd);
    }
    st
}
