//! `kill [-s SIG | -SIG | -NUM] PID...` and `kill -l [N]` (procps).

use crate::signames::{self, KillArgError, KillRequest};
use ulib::{ueprintln, uprintln};

fn usage() -> i32 {
    ueprintln!("Usage: kill [-s SIGNAL | -SIGNAL] PID...");
    ueprintln!("       kill -l [SIGNAL]");
    2
}

pub fn main(args: &[String]) -> i32 {
    let (sig, targets) = match signames::parse_kill_args(&args[1.min(args.len())..], false) {
        Err(KillArgError::Usage) => return usage(),
        Err(KillArgError::BadSignal(s)) => {
            ueprintln!("kill: unknown signal name {s}");
            return 1;
        }
        Ok(KillRequest::Print(p)) => {
            uprintln!("{p}");
            return 0;
        }
        Ok(KillRequest::Send { sig, targets }) => (sig, targets),
    };
    let mut st = 0;
    for t in targets {
        match t.parse::<i32>() {
            Ok(pid) => {
                if let Err(e) = ulib::kill(pid, sig) {
                    ueprintln!("kill: ({pid}): {}", e.message());
                    st = 1;
                }
            }
            Err(_) => {
                ueprintln!("kill: failed to parse argument: '{t}'");
                st = 1;
            }
        }
    }
    st
}
