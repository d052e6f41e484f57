//! `env [-i] [-u NAME] [NAME=VALUE]... [COMMAND [ARG]...]`: print the
//! environment, or run COMMAND (searched along PATH) in a modified one.

use super::{bad_option, prog};
use ulib::errno::ENOENT;
use ulib::uapi::fcntl::s_isreg;
use ulib::{ueprintln, uprintln};

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "env");
    let mut vars = ulib::env::vars();
    let mut i = 1;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-i" | "-" | "--ignore-environment" => vars.clear(),
            "-u" => {
                i += 1;
                let Some(n) = args.get(i) else {
                    ueprintln!("{p}: option requires an argument -- 'u'");
                    ueprintln!("Try '{p} --help' for more information.");
                    return 125;
                };
                vars.retain(|(k, _)| k != n);
            }
            "--" => {
                i += 1;
                break;
            }
            o if o.starts_with('-') && o.len() > 1 => return bad_option(&p, o, 125),
            o => match o.split_once('=') {
                Some((k, v)) => {
                    vars.retain(|(n, _)| n != k);
                    vars.push((k.to_string(), v.to_string()));
                }
                None => break,
            },
        }
        i += 1;
    }
    if i >= args.len() {
        for (k, v) in vars {
            uprintln!("{k}={v}");
        }
        return 0;
    }
    let cmd = &args[i];
    let envp: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let path = if cmd.contains('/') {
        cmd.clone()
    } else {
        let pv = vars
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "/bin:/sbin".into());
        pv.split(':')
            .map(|d| format!("{}/{cmd}", d.trim_end_matches('/')))
            .find(|c| ulib::stat(c).is_ok_and(|s| s_isreg(s.st_mode)))
            .unwrap_or_else(|| cmd.clone())
    };
    let e = ulib::execve(&path, &args[i..], &envp);
    ueprintln!("{p}: '{cmd}': {}", e.message());
    if e == ENOENT {
        127
    } else {
        126
    }
}
