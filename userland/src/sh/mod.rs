//! `sh`: a POSIX-style shell with bash's job control and messages.
//!
//! `sh -c CMD [ARG0 ARGS...]`, `sh SCRIPT [ARGS...]`, or commands from
//! stdin: interactively (prompt `# `/`$ `, job control) when stdin is a
//! terminal, else line by line without reading past the current line.
//!
//! The shell's state is the [`Shell`] value, owned by the process (no
//! globals): a fork child gets a clone.

pub mod arith;
pub mod builtins;
pub mod exec;
pub mod expand;
pub mod jobs;
pub mod lexer;
pub mod parser;
pub mod test;

use parser::ParseError;
use std::collections::BTreeMap;
use ulib::{ueprint, ueprintln};

/// A shell variable.
#[derive(Clone, Debug)]
pub struct Var {
    pub value: String,
    pub exported: bool,
}

/// The state of one shell process.
#[derive(Clone, Debug)]
pub struct Shell {
    pub vars: BTreeMap<String, Var>,
    /// `$0`.
    pub name: String,
    /// `$1`...
    pub positional: Vec<String>,
    /// `$?`.
    pub status: i32,
    /// `$$`: the pid of the main shell (subshells keep it).
    pub pid: i32,
    /// `$!`.
    pub last_bg: Option<i32>,
    pub interactive: bool,
    /// Each job gets its own process group and the terminal follows the
    /// foreground job (interactive shells on a terminal).
    pub job_control: bool,
    pub shell_pgid: i32,
    pub jobs: jobs::Jobs,
    /// Set by `exit`: stop running commands and exit with this status.
    pub exit_requested: Option<i32>,
    /// The status of the last command substitution of the current command
    /// (the status of an assignment-only command).
    pub status_from_subst: Option<i32>,
    /// An expansion of the current command failed (bad arithmetic).
    pub expansion_failed: bool,
}

impl Shell {
    /// A shell with the process environment imported as exported variables.
    pub fn new(name: &str) -> Shell {
        let mut vars = BTreeMap::new();
        for (k, v) in ulib::env::vars() {
            vars.insert(
                k,
                Var {
                    value: v,
                    exported: true,
                },
            );
        }
        vars.entry("PATH".into()).or_insert(Var {
            value: "/bin:/sbin".into(),
            exported: true,
        });
        let pid = ulib::getpid();
        Shell {
            vars,
            name: name.to_string(),
            positional: Vec::new(),
            status: 0,
            pid,
            last_bg: None,
            interactive: false,
            job_control: false,
            shell_pgid: ulib::getpgid(0).unwrap_or(pid),
            jobs: jobs::Jobs::default(),
            exit_requested: None,
            status_from_subst: None,
            expansion_failed: false,
        }
    }

    pub fn get_var(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(|v| v.value.clone())
    }

    pub fn set_var(&mut self, name: &str, value: &str) {
        let exported = self.vars.get(name).is_some_and(|v| v.exported);
        self.vars.insert(
            name.to_string(),
            Var {
                value: value.to_string(),
                exported,
            },
        );
    }

    /// The environment for execve: exported variables.
    pub fn envp(&self) -> Vec<String> {
        self.vars
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| format!("{k}={}", v.value))
            .collect()
    }

    /// Run `src` as a whole program (`sh -c`, a script, a command
    /// substitution): the status of the last command, or the one `exit`
    /// asked for.
    pub fn run_program(&mut self, src: &str) -> i32 {
        let s = self.run_source(src);
        self.exit_requested.unwrap_or(s)
    }

    /// Parse and run `src`; returns the status of the last command.
    pub fn run_source(&mut self, src: &str) -> i32 {
        match parser::parse(src) {
            Ok(list) => {
                let s = self.run_list(&list);
                self.status = s;
                s
            }
            Err(ParseError::Incomplete) => {
                ueprintln!("{}: syntax error: unexpected end of file", self.name);
                self.status = 2;
                2
            }
            Err(ParseError::Syntax(m)) => {
                ueprintln!("{}: {m}", self.name);
                self.status = 2;
                2
            }
        }
    }

    /// Become an interactive shell with job control when stdin is a
    /// terminal we can take the foreground of.
    fn setup_interactive(&mut self) {
        use ulib::uapi::signal::*;
        self.interactive = true;
        // No SA_RESTART: ^C must interrupt the read of the command line.
        let _ = ulib::sigaction(
            SIGINT,
            Some(&KernelSigaction {
                sa_handler: ulib::rt::register_signal_handler(on_sigint),
                ..KernelSigaction::default()
            }),
        );
        for s in [SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU] {
            let _ = ulib::signal_ignore(s);
        }
        let pid = ulib::getpid();
        // A session leader already leads its group (and may not setpgid).
        let leader = ulib::getpgid(0) == Ok(pid) || ulib::setpgid(0, 0).is_ok();
        if leader && ulib::tcsetpgrp(0, pid).is_ok() {
            self.shell_pgid = pid;
            self.job_control = true;
        }
    }

    /// Read one line from fd 0; `None` at end of file. On a terminal one
    /// read returns one line; elsewhere read byte by byte so the rest of
    /// the input stays for the commands we run.
    fn read_line(&self) -> Option<String> {
        let mut line = Vec::new();
        let mut buf = vec![0u8; if self.interactive { 4096 } else { 1 }];
        loop {
            match ulib::read(0, &mut buf) {
                Ok(0) => {
                    return (!line.is_empty()).then(|| String::from_utf8_lossy(&line).into());
                }
                Ok(n) => {
                    line.extend_from_slice(&buf[..n]);
                    if line.ends_with(b"\n") {
                        return Some(String::from_utf8_lossy(&line).into());
                    }
                }
                Err(e) if e == ulib::errno::EINTR => {
                    if self.interactive {
                        ueprintln!();
                        return Some(String::from("\n"));
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// The read-eval loop over stdin.
    pub fn repl(&mut self) -> i32 {
        let root = ulib::geteuid() == 0;
        loop {
            if self.interactive {
                self.notify_jobs();
                ueprint!("{}", if root { "# " } else { "$ " });
                ulib::io::flush_all();
            }
            let Some(mut src) = self.read_line() else {
                break;
            };
            loop {
                match parser::parse(&src) {
                    Err(ParseError::Incomplete) => {
                        if self.interactive {
                            ueprint!("> ");
                            ulib::io::flush_all();
                        }
                        match self.read_line() {
                            Some(more) => src.push_str(&more),
                            None => {
                                ueprintln!("{}: syntax error: unexpected end of file", self.name);
                                return 2;
                            }
                        }
                    }
                    Err(ParseError::Syntax(m)) => {
                        ueprintln!("{}: {m}", self.name);
                        self.status = 2;
                        break;
                    }
                    Ok(list) => {
                        self.status = self.run_list(&list);
                        break;
                    }
                }
            }
            if let Some(code) = self.exit_requested {
                return code;
            }
        }
        if self.interactive {
            ueprintln!("exit");
        }
        self.status
    }
}

/// SIGINT in an interactive shell only interrupts the line being read.
fn on_sigint(_sig: i32) {}

/// The `sh` applet.
pub fn main(args: &[String]) -> i32 {
    let name = args.first().map(String::as_str).unwrap_or("sh");
    let name = name.rsplit('/').next().unwrap_or(name).to_string();
    let mut sh = Shell::new(&name);
    let mut i = 1;
    let mut force_interactive = false;
    while i < args.len() {
        match args[i].as_str() {
            "-c" => {
                let Some(cmd) = args.get(i + 1) else {
                    ueprintln!("{name}: -c: option requires an argument");
                    return 2;
                };
                if let Some(a0) = args.get(i + 2) {
                    sh.name = a0.clone();
                }
                sh.positional = args.iter().skip(i + 3).cloned().collect();
                return sh.run_program(cmd);
            }
            "-i" => {
                force_interactive = true;
                i += 1;
            }
            "-s" | "--" => {
                i += 1;
                break;
            }
            o if o.starts_with('-') && o.len() > 1 => {
                ueprintln!("{name}: {o}: invalid option");
                ueprintln!("Usage: {name} [-i] [-c command [name [args...]]] [script [args...]]");
                return 2;
            }
            script => {
                let src = match ulib::read_file(script) {
                    Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                    Err(e) => {
                        ueprintln!("{name}: {script}: {}", e.message());
                        return 127;
                    }
                };
                sh.name = script.to_string();
                sh.positional = args[i + 1..].to_vec();
                return sh.run_program(&src);
            }
        }
    }
    sh.positional = args.get(i..).map(<[String]>::to_vec).unwrap_or_default();
    if force_interactive || ulib::isatty(0) {
        sh.setup_interactive();
    }
    sh.repl()
}
