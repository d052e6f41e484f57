//! Shell builtins: `cd exit exec export unset shift . : test [ wait jobs fg
//! bg kill`
//! (kill is a builtin so that `%N` job specs work, as in bash).

use super::parser::is_name;
use super::Shell;
use crate::signames::{self, KillArgError, KillRequest};
use ulib::uapi::signal::SIGCONT;
use ulib::{ueprintln, uprintln};

const BUILTINS: &[&str] = &[
    "cd", "exit", "exec", "export", "unset", "shift", ".", ":", "test", "[", "wait", "jobs", "fg",
    "bg", "kill",
];

pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// Run builtin `argv[0]`; its exit status.
pub fn run(sh: &mut Shell, argv: &[String]) -> i32 {
    let args = &argv[1..];
    match argv[0].as_str() {
        "cd" => cd(sh, args),
        "exit" => {
            let code = match args.first() {
                None => sh.status,
                Some(a) => match a.parse::<i64>() {
                    Ok(n) => (n & 0xff) as i32,
                    Err(_) => {
                        ueprintln!("{}: exit: {a}: numeric argument required", sh.name);
                        2
                    }
                },
            };
            sh.exit_requested = Some(code);
            code
        }
        "exec" => {
            if args.is_empty() {
                return 0;
            }
            let s = sh.exec_external(args);
            sh.exit_requested = Some(s);
            s
        }
        "export" => {
            if args.is_empty() {
                for (k, v) in sh.vars.iter().filter(|(_, v)| v.exported) {
                    uprintln!("declare -x {k}=\"{}\"", v.value);
                }
                return 0;
            }
            let mut st = 0;
            for a in args {
                let (k, v) = match a.split_once('=') {
                    Some((k, v)) => (k, Some(v)),
                    None => (a.as_str(), None),
                };
                if !is_name(k) {
                    ueprintln!("{}: export: `{a}': not a valid identifier", sh.name);
                    st = 1;
                    continue;
                }
                let value = v
                    .map(str::to_string)
                    .or_else(|| sh.get_var(k))
                    .unwrap_or_default();
                sh.vars.insert(
                    k.to_string(),
                    super::Var {
                        value,
                        exported: true,
                    },
                );
            }
            st
        }
        "unset" => {
            for a in args {
                sh.vars.remove(a);
            }
            0
        }
        "shift" => {
            let n = args
                .first()
                .and_then(|a| a.parse::<usize>().ok())
                .unwrap_or(1);
            if n > sh.positional.len() {
                return 1;
            }
            sh.positional.drain(..n);
            0
        }
        "." => match args.first() {
            None => {
                ueprintln!("{}: .: filename argument required", sh.name);
                2
            }
            Some(f) => match ulib::read_file(f) {
                Ok(b) => sh.run_source(&String::from_utf8_lossy(&b)),
                Err(e) => {
                    ueprintln!("{}: {f}: {}", sh.name, e.message());
                    1
                }
            },
        },
        ":" => 0,
        "test" | "[" => super::test::main(&sh.name, argv),
        "wait" => wait(sh, args),
        "jobs" => {
            sh.list_jobs();
            0
        }
        "fg" | "bg" => fg_bg(sh, &argv[0], args),
        "kill" => kill(sh, args),
        _ => 127,
    }
}

fn cd(sh: &mut Shell, args: &[String]) -> i32 {
    let dir = match args.first() {
        Some(d) => d.clone(),
        None => sh.get_var("HOME").unwrap_or_else(|| "/".into()),
    };
    match ulib::chdir(&dir) {
        Ok(()) => {
            let old = sh.get_var("PWD");
            if let Some(o) = old {
                sh.set_var("OLDPWD", &o);
            }
            if let Ok(cwd) = ulib::getcwd() {
                sh.set_var("PWD", &cwd);
            }
            0
        }
        Err(e) => {
            ueprintln!("{}: cd: {dir}: {}", sh.name, e.message());
            1
        }
    }
}

fn wait(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        sh.wait_all();
        return 0;
    }
    let mut st = 0;
    for a in args {
        let id = if a.starts_with('%') {
            sh.jobs.parse_spec(a)
        } else {
            a.parse::<i32>().ok().and_then(|pid| {
                sh.jobs
                    .list
                    .iter()
                    .find(|j| j.procs.iter().any(|p| p.pid == pid))
                    .map(|j| j.id)
            })
        };
        st = match id {
            Some(id) => sh.wait_job(id),
            None if a.starts_with('%') => {
                ueprintln!("{}: wait: {a}: no such job", sh.name);
                127
            }
            None => {
                ueprintln!("{}: wait: pid {a} is not a child of this shell", sh.name);
                127
            }
        };
    }
    st
}

fn fg_bg(sh: &mut Shell, which: &str, args: &[String]) -> i32 {
    if !sh.job_control {
        ueprintln!("{}: {which}: no job control", sh.name);
        return 1;
    }
    sh.reap();
    let spec = args.first().map(String::as_str).unwrap_or("%+");
    let Some(id) = sh.jobs.parse_spec(spec).or_else(|| {
        spec.parse::<usize>()
            .ok()
            .and_then(|n| sh.jobs.get(n).map(|j| j.id))
    }) else {
        let what = if args.is_empty() { "current" } else { spec };
        ueprintln!("{}: {which}: {what}: no such job", sh.name);
        return 1;
    };
    let Some(job) = sh.jobs.get(id).cloned() else {
        return 1;
    };
    sh.jobs.make_current(id);
    if which == "fg" {
        uprintln!("{}", job.text);
        ulib::io::flush_all();
        let _ = ulib::tcsetpgrp(0, job.pgid);
        let _ = ulib::kill(-job.pgid, SIGCONT);
        sh.jobs.continued(id);
        sh.foreground(id)
    } else {
        let _ = ulib::kill(-job.pgid, SIGCONT);
        sh.jobs.continued(id);
        uprintln!("[{}]{} {} &", id, sh.jobs.mark(id), job.text);
        0
    }
}

fn kill(sh: &mut Shell, args: &[String]) -> i32 {
    let (sig, rest) = match signames::parse_kill_args(args, true) {
        Err(KillArgError::Usage) => {
            ueprintln!("{}: kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]", sh.name);
            return 2;
        }
        Err(KillArgError::BadSignal(s)) => {
            ueprintln!("{}: kill: {s}: invalid signal specification", sh.name);
            return 1;
        }
        Ok(KillRequest::Print(p)) => {
            uprintln!("{p}");
            return 0;
        }
        Ok(KillRequest::Send { sig, targets }) => (sig, targets),
    };
    let mut st = 0;
    for t in rest {
        if t.starts_with('%') {
            let Some(job) = sh
                .jobs
                .parse_spec(t)
                .and_then(|id| sh.jobs.get(id))
                .cloned()
            else {
                ueprintln!("{}: kill: {t}: no such job", sh.name);
                st = 1;
                continue;
            };
            let stopped = job.state() == super::jobs::State::Stopped;
            let r = if sh.job_control {
                ulib::kill(-job.pgid, sig)
            } else {
                job.procs.iter().try_for_each(|p| ulib::kill(p.pid, sig))
            };
            if let Err(e) = r {
                ueprintln!("{}: kill: ({}) - {}", sh.name, job.pgid, e.message());
                st = 1;
            } else if stopped && sig != SIGCONT && sh.job_control {
                let _ = ulib::kill(-job.pgid, SIGCONT);
            }
        } else {
            match t.parse::<i32>() {
                Ok(pid) => {
                    if let Err(e) = ulib::kill(pid, sig) {
                        ueprintln!("{}: kill: ({pid}) - {}", sh.name, e.message());
                        st = 1;
                    }
                }
                Err(_) => {
                    ueprintln!(
                        "{}: kill: {t}: arguments must be process or job IDs",
                        sh.name
                    );
                    st = 1;
                }
            }
        }
    }
    st
}
