//! `uname [-asnrvmo]`: system information from uname(2), coreutils order.

use super::{bad_option, prog};
use ulib::{ueprintln, uprintln};

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "uname");
    let mut want = [false; 6]; // s n r v m o
    for a in &args[1..] {
        let flags: Vec<char> = match a.as_str() {
            "--all" => vec!['a'],
            "--kernel-name" => vec!['s'],
            "--nodename" => vec!['n'],
            "--kernel-release" => vec!['r'],
            "--kernel-version" => vec!['v'],
            "--machine" => vec!['m'],
            "--operating-system" => vec!['o'],
            o if o.starts_with('-') && !o.starts_with("--") && o.len() > 1 => {
                o[1..].chars().collect()
            }
            o => {
                if !o.starts_with('-') {
                    ueprintln!("{p}: extra operand '{o}'");
                    ueprintln!("Try '{p} --help' for more information.");
                    return 1;
                }
                return bad_option(&p, o, 1);
            }
        };
        for c in flags {
            match c {
                'a' => want = [true; 6],
                's' => want[0] = true,
                'n' => want[1] = true,
                'r' => want[2] = true,
                'v' => want[3] = true,
                'm' => want[4] = true,
                'o' => want[5] = true,
                // Processor and hardware platform: unknown, omitted by -a.
                'p' | 'i' => {}
                c => return bad_option(&p, &format!("-{c}"), 1),
            }
        }
    }
    if !want.contains(&true) {
        want[0] = true;
    }
    let u = match ulib::uname() {
        Ok(u) => u,
        Err(e) => {
            ueprintln!("{p}: cannot get system name: {}", e.message());
            return 1;
        }
    };
    let vals = [
        u.sysname,
        u.nodename,
        u.release,
        u.version,
        u.machine,
        "GNU/Linux".to_string(),
    ];
    let out: Vec<&str> = vals
        .iter()
        .zip(want)
        .filter(|(_, w)| *w)
        .map(|(v, _)| v.as_str())
        .collect();
    uprintln!("{}", out.join(" "));
    0
}
