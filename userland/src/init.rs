//! `/sbin/init`: process 1. Runs `/etc/rc` with sh, then the console shell
//! (interactive when fd 0 is a terminal), reaping orphans meanwhile; exits
//! with the shell's status (the kernel powers off when init exits).
//! `init -c CMD` runs `sh -c CMD`; `init SCRIPT` runs `sh SCRIPT`.

use crate::sh::jobs::exit_code;
use ulib::errno::{ECHILD, EINTR};
use ulib::ueprintln;

const SH: &str = "/bin/sh";

/// Fork and exec `sh` with `args`; the child's pid.
fn spawn_sh(args: Vec<String>) -> Option<i32> {
    let mut argv = vec!["sh".to_string()];
    argv.extend(args);
    let envp = ulib::env::envp();
    match ulib::fork(move || {
        let e = ulib::execve(SH, &argv, &envp);
        ueprintln!("init: {SH}: {}", e.message());
        127
    }) {
        Ok(pid) => Some(pid),
        Err(e) => {
            ueprintln!("init: fork: {}", e.message());
            None
        }
    }
}

/// Reap every child until `pid` exits; its exit code.
fn wait_for(pid: i32) -> i32 {
    loop {
        match ulib::wait4(-1, 0) {
            Ok((p, st)) if p == pid => return exit_code(st),
            Ok(_) => {}
            Err(e) if e == EINTR => {}
            Err(e) if e == ECHILD => return 0,
            Err(e) => {
                ueprintln!("init: wait4: {}", e.message());
                return 1;
            }
        }
    }
}

fn run_sh(args: Vec<String>) -> i32 {
    match spawn_sh(args) {
        Some(pid) => wait_for(pid),
        None => 1,
    }
}

pub fn main(args: &[String]) -> i32 {
    for (k, v) in [("PATH", "/bin:/sbin"), ("HOME", "/"), ("TERM", "linux")] {
        if ulib::env::get(k).is_none() {
            ulib::env::set(k, v);
        }
    }
    match args.get(1).map(String::as_str) {
        Some("-c") => match args.get(2) {
            Some(cmd) => return run_sh(vec!["-c".into(), cmd.clone()]),
            None => {
                ueprintln!("init: -c: option requires an argument");
                ueprintln!("Usage: init [-c COMMAND | SCRIPT]");
                return 2;
            }
        },
        Some(_) => return run_sh(args[1..].to_vec()),
        None => {}
    }
    if ulib::stat("/etc/rc").is_ok() {
        run_sh(vec!["/etc/rc".into()]);
    }
    run_sh(Vec::new())
}
