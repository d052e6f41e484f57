//! Execution: lists, and-or lists, pipelines and jobs, simple and compound
//! commands, redirections, external commands (fork + execve along PATH).
//!
//! Builtins and compound commands of a single foreground pipeline run in
//! the shell process itself (redirections saved and restored around them);
//! everything else runs in forked children, each pipeline one job. With job
//! control every job is its own process group and the terminal's
//! foreground group follows the foreground job; `wait4(WUNTRACED)` notices
//! ^Z stops.

use super::expand::{expand_fields, expand_single, Context};
use super::jobs::{exit_code, State};
use super::lexer::RedirOp;
use super::parser::{AndOr, Command, Compound, Connector, Item, List, Pipeline, Redir, Simple};
use super::Shell;
use ulib::errno::{EACCES, ECHILD, EINTR, EISDIR, ENOENT, ENOEXEC};
use ulib::uapi::fcntl::*;
use ulib::uapi::signal::*;
use ulib::uapi::wait::*;
use ulib::{ueprintln, uprintln};

/// A command ready to run in a child: already expanded, or still a tree.
#[derive(Clone, Debug)]
enum Prep {
    Argv {
        argv: Vec<String>,
        assigns: Vec<(String, String)>,
        redirs: Vec<Redir>,
    },
    Cmd(Command),
}

impl Context for Shell {
    fn param(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some(self.pid.to_string()),
            "!" => self.last_bg.map(|p| p.to_string()),
            "#" => Some(self.positional.len().to_string()),
            "0" => Some(self.name.clone()),
            "-" => Some(if self.interactive {
                "i".into()
            } else {
                String::new()
            }),
            n if n.chars().all(|c| c.is_ascii_digit()) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| self.positional.get(i.checked_sub(1)?).cloned()),
            n => self.get_var(n),
        }
    }

    fn positional(&self) -> Vec<String> {
        self.positional.clone()
    }

    fn command_subst(&mut self, src: &str) -> String {
        let Ok((r, w)) = ulib::pipe2(O_CLOEXEC) else {
            return String::new();
        };
        let mut child = self.child_copy();
        let src = src.to_string();
        let pid = ulib::fork(move || {
            let _ = ulib::dup2(w, 1);
            child.run_program(&src)
        });
        let _ = ulib::close(w);
        let out = ulib::read_to_end(r).unwrap_or_default();
        let _ = ulib::close(r);
        if let Ok(pid) = pid {
            if let Some(st) = wait_pid(pid) {
                self.status = exit_code(st);
                self.status_from_subst = Some(self.status);
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn assign(&mut self, name: &str, value: &str) {
        self.set_var(name, value);
    }

    fn error(&mut self, msg: &str) {
        ueprintln!("{}: {msg}", self.name);
        self.status_from_subst = Some(1);
        self.expansion_failed = true;
    }

    fn list_dir(&self, path: &str) -> Vec<String> {
        ulib::read_dir(path)
            .map(|v| {
                v.into_iter()
                    .map(|d| d.d_name)
                    .filter(|n| n != "." && n != "..")
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Wait for one specific child (EINTR retried); its raw status.
fn wait_pid(pid: i32) -> Option<i32> {
    loop {
        match ulib::wait4(pid, 0) {
            Ok((_, st)) => return Some(st),
            Err(e) if e == EINTR => continue,
            Err(_) => return None,
        }
    }
}

impl Shell {
    /// A copy of this shell for a forked child.
    fn child_copy(&self) -> Shell {
        let mut c = self.clone();
        c.interactive = false;
        c.job_control = false;
        c.jobs = Default::default();
        c
    }

    pub fn run_list(&mut self, l: &List) -> i32 {
        let mut status = self.status;
        for item in &l.0 {
            status = self.run_item(item);
            self.status = status;
            if self.exit_requested.is_some() {
                break;
            }
        }
        status
    }

    fn run_item(&mut self, item: &Item) -> i32 {
        if !item.background {
            return self.run_and_or(&item.and_or);
        }
        if item.and_or.rest.is_empty() {
            return self.run_pipeline(&item.and_or.first, true, Some(&item.text));
        }
        let sub = Command::Compound(
            Box::new(Compound::Subshell(List(vec![Item {
                background: false,
                ..item.clone()
            }]))),
            Vec::new(),
        );
        self.spawn_job(vec![Prep::Cmd(sub)], true, JobText::Source(&item.text))
    }

    fn run_and_or(&mut self, ao: &AndOr) -> i32 {
        let mut status = self.run_pipeline(&ao.first, false, None);
        for (c, p) in &ao.rest {
            if self.exit_requested.is_some() {
                break;
            }
            self.status = status;
            let run = match c {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                status = self.run_pipeline(p, false, None);
            }
        }
        status
    }

    /// `text` is the pipeline's source, where the parser kept it.
    fn run_pipeline(&mut self, p: &Pipeline, background: bool, text: Option<&str>) -> i32 {
        let text = text
            .filter(|t| !t.is_empty())
            .map_or(JobText::Of(p), JobText::Source);
        let status = if !background && p.cmds.len() == 1 {
            self.run_single(&p.cmds[0], text)
        } else {
            let preps = p.cmds.iter().cloned().map(Prep::Cmd).collect();
            self.spawn_job(preps, background, text)
        };
        if p.bang {
            (status == 0) as i32
        } else {
            status
        }
    }

    /// A single foreground command: builtins, assignments and compound
    /// commands run here; external commands become a one-process job.
    fn run_single(&mut self, cmd: &Command, text: JobText) -> i32 {
        match cmd {
            Command::Compound(c, redirs) if !matches!(**c, Compound::Subshell(_)) => {
                let Some(saved) = self.apply_redirs(redirs, true) else {
                    return 1;
                };
                let s = self.run_compound(c);
                restore(saved);
                s
            }
            Command::Compound(..) => self.spawn_job(vec![Prep::Cmd(cmd.clone())], false, text),
            Command::Simple(s) => {
                self.status_from_subst = None;
                self.expansion_failed = false;
                let argv = self.expand_words(s);
                if self.expansion_failed {
                    return 1;
                }
                let assigns: Vec<(String, String)> = s
                    .assigns
                    .iter()
                    .map(|(k, w)| (k.clone(), expand_single(self, w)))
                    .collect();
                if argv.is_empty() {
                    for (k, v) in &assigns {
                        self.set_var(k, v);
                    }
                    let Some(saved) = self.apply_redirs(&s.redirs, true) else {
                        return 1;
                    };
                    restore(saved);
                    return self.status_from_subst.take().unwrap_or(0);
                }
                if super::builtins::is_builtin(&argv[0]) {
                    for (k, v) in &assigns {
                        self.set_var(k, v);
                    }
                    // `exec`'s redirections stay (and it may not return).
                    let keep = argv[0] == "exec";
                    let Some(saved) = self.apply_redirs(&s.redirs, !keep) else {
                        return 1;
                    };
                    let st = super::builtins::run(self, &argv);
                    ulib::io::flush_all();
                    restore(saved);
                    return st;
                }
                let prep = Prep::Argv {
                    argv,
                    assigns,
                    redirs: s.redirs.clone(),
                };
                self.spawn_job(vec![prep], false, text)
            }
        }
    }

    fn expand_words(&mut self, s: &Simple) -> Vec<String> {
        let mut argv = Vec::new();
        for w in &s.words {
            argv.extend(expand_fields(self, w));
        }
        argv
    }

    fn run_compound(&mut self, c: &Compound) -> i32 {
        match c {
            Compound::If { arms, otherwise } => {
                for (cond, body) in arms {
                    let s = self.run_list(cond);
                    if self.exit_requested.is_some() {
                        return s;
                    }
                    if s == 0 {
                        return self.run_list(body);
                    }
                }
                match otherwise {
                    Some(l) => self.run_list(l),
                    None => 0,
                }
            }
            Compound::For { var, items, body } => {
                let mut values = Vec::new();
                for w in items {
                    values.extend(expand_fields(self, w));
                }
                let mut s = 0;
                for v in values {
                    self.set_var(var, &v);
                    s = self.run_list(body);
                    if self.exit_requested.is_some() {
                        break;
                    }
                }
                s
            }
            Compound::While { cond, body, until } => {
                let mut s = 0;
                loop {
                    let c = self.run_list(cond);
                    if self.exit_requested.is_some() || (c == 0) == *until {
                        break;
                    }
                    s = self.run_list(body);
                    if self.exit_requested.is_some() {
                        break;
                    }
                }
                s
            }
            Compound::Subshell(l) => {
                let s = self.run_list(l);
                self.exit_requested.unwrap_or(s)
            }
        }
    }

    /// Fork one child per command, connected by pipes, as one job; wait for
    /// it unless `background`. Returns the pipeline's status.
    fn spawn_job(&mut self, preps: Vec<Prep>, background: bool, text: JobText) -> i32 {
        let n = preps.len();
        let mut pids = Vec::new();
        let mut pgid = 0;
        let mut prev_read: Option<i32> = None;
        for (i, prep) in preps.into_iter().enumerate() {
            let pipe = if i + 1 < n {
                match ulib::pipe2(O_CLOEXEC) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        ueprintln!("{}: pipe: {}", self.name, e.message());
                        break;
                    }
                }
            } else {
                None
            };
            let child = self.child_copy();
            let job_control = self.job_control;
            let interactive = self.interactive;
            let stdin = prev_read;
            let stdout = pipe.map(|p| p.1);
            let first_pgid = pgid;
            let r = ulib::fork(move || {
                let mut sh = child;
                if job_control {
                    let _ = ulib::setpgid(0, first_pgid);
                    if !background {
                        let g = if first_pgid == 0 {
                            ulib::getpid()
                        } else {
                            first_pgid
                        };
                        let _ = ulib::tcsetpgrp(0, g);
                    }
                }
                if interactive {
                    for s in [SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU] {
                        let _ = ulib::signal_default(s);
                    }
                } else if background && stdin.is_none() {
                    if let Ok(fd) = ulib::open("/dev/null", O_RDONLY, 0) {
                        let _ = ulib::dup2(fd, 0);
                        let _ = ulib::close(fd);
                    }
                }
                if let Some(fd) = stdin {
                    let _ = ulib::dup2(fd, 0);
                }
                if let Some(fd) = stdout {
                    let _ = ulib::dup2(fd, 1);
                }
                sh.run_prep(prep)
            });
            if let Some(fd) = prev_read.take() {
                let _ = ulib::close(fd);
            }
            if let Some((r, w)) = pipe {
                let _ = ulib::close(w);
                prev_read = Some(r);
            }
            match r {
                Ok(pid) => {
                    if pgid == 0 {
                        pgid = pid;
                    }
                    if self.job_control {
                        let _ = ulib::setpgid(pid, pgid);
                    }
                    pids.push(pid);
                }
                Err(e) => {
                    ueprintln!("{}: fork: {}", self.name, e.message());
                    break;
                }
            }
        }
        if let Some(fd) = prev_read {
            let _ = ulib::close(fd);
        }
        if pids.is_empty() {
            return 1;
        }
        let id = self.jobs.add(pgid, &pids, &text.render());
        if background {
            self.last_bg = pids.last().copied();
            if self.interactive {
                ueprintln!("[{id}] {}", pids.last().copied().unwrap_or(0));
            }
            return 0;
        }
        self.foreground(id)
    }

    /// Run job `id` in the foreground until it finishes or stops.
    pub fn foreground(&mut self, id: usize) -> i32 {
        if self.job_control {
            if let Some(j) = self.jobs.get(id) {
                let _ = ulib::tcsetpgrp(0, j.pgid);
            }
        }
        self.wait_while_running(id);
        if self.job_control {
            let _ = ulib::tcsetpgrp(0, self.shell_pgid);
        }
        let Some(job) = self.jobs.get(id).cloned() else {
            return 0;
        };
        match job.state() {
            State::Stopped => {
                self.jobs.make_current(id);
                ueprintln!();
                ueprintln!("{}", self.jobs.format(&job));
                128 + SIGTSTP
            }
            _ => {
                let st = job.last_status();
                if self.interactive && wifsignaled(st) {
                    let sig = wtermsig(st);
                    if sig == SIGINT {
                        ueprintln!();
                    } else if sig != SIGPIPE {
                        let core = if wcoredump(st) { " (core dumped)" } else { "" };
                        ueprintln!("{}{core}", crate::signames::describe(sig));
                    }
                }
                self.jobs.remove(id);
                exit_code(st)
            }
        }
    }

    /// Reap children until job `id` is no longer running.
    pub fn wait_while_running(&mut self, id: usize) {
        while self
            .jobs
            .get(id)
            .is_some_and(|j| j.state() == State::Running)
        {
            match ulib::wait4(-1, WUNTRACED) {
                Ok((pid, st)) => {
                    self.jobs.record(pid, st);
                }
                Err(e) if e == EINTR => {}
                Err(_) => {
                    // No children left: whatever is unaccounted for is gone.
                    if let Some(j) = self.jobs.get_mut(id) {
                        for p in &mut j.procs {
                            p.status.get_or_insert(0);
                        }
                    }
                }
            }
        }
    }

    /// Collect state changes of children without blocking.
    pub fn reap(&mut self) {
        loop {
            match ulib::wait4(-1, WNOHANG | WUNTRACED) {
                Ok((pid, st)) if pid > 0 => {
                    self.jobs.record(pid, st);
                }
                Err(e) if e == EINTR => {}
                Ok(_) | Err(_) => break,
            }
        }
    }

    /// Report and forget finished jobs (before a prompt).
    pub fn notify_jobs(&mut self) {
        self.reap();
        let done: Vec<_> = self
            .jobs
            .list
            .iter()
            .filter(|j| j.state() == State::Done)
            .cloned()
            .collect();
        for j in done {
            ueprintln!("{}", self.jobs.format(&j));
            self.jobs.remove(j.id);
        }
    }

    /// In a forked child: run the command and return its status.
    fn run_prep(&mut self, prep: Prep) -> i32 {
        match prep {
            Prep::Argv {
                argv,
                assigns,
                redirs,
            } => self.run_argv(argv, assigns, &redirs),
            Prep::Cmd(Command::Simple(s)) => {
                let argv = self.expand_words(&s);
                let assigns = s
                    .assigns
                    .iter()
                    .map(|(k, w)| (k.clone(), expand_single(self, w)))
                    .collect();
                self.run_argv(argv, assigns, &s.redirs)
            }
            Prep::Cmd(Command::Compound(c, redirs)) => {
                if self.apply_redirs(&redirs, false).is_none() {
                    return 1;
                }
                let s = self.run_compound(&c);
                self.exit_requested.unwrap_or(s)
            }
        }
    }

    fn run_argv(
        &mut self,
        argv: Vec<String>,
        assigns: Vec<(String, String)>,
        redirs: &[Redir],
    ) -> i32 {
        if self.apply_redirs(redirs, false).is_none() {
            return 1;
        }
        if argv.is_empty() {
            return 0;
        }
        for (k, v) in &assigns {
            self.set_var(k, v);
            if let Some(var) = self.vars.get_mut(k) {
                var.exported = true;
            }
        }
        if super::builtins::is_builtin(&argv[0]) {
            let s = super::builtins::run(self, &argv);
            return self.exit_requested.unwrap_or(s);
        }
        self.exec_external(&argv)
    }

    /// execve `argv[0]` (searched along PATH); returns only on failure,
    /// with bash's status: 127 not found, 126 not executable.
    pub(super) fn exec_external(&mut self, argv: &[String]) -> i32 {
        let name = &argv[0];
        let path = if name.contains('/') {
            name.clone()
        } else {
            let path_var = self.get_var("PATH").unwrap_or_default();
            let found = path_var.split(':').find_map(|dir| {
                let dir = if dir.is_empty() { "." } else { dir };
                let cand = format!("{}/{name}", dir.trim_end_matches('/'));
                ulib::stat(&cand)
                    .ok()
                    .filter(|st| s_isreg(st.st_mode))
                    .map(|_| cand)
            });
            match found {
                Some(p) => p,
                None => {
                    ueprintln!("{}: {name}: command not found", self.name);
                    return 127;
                }
            }
        };
        let e = ulib::execve(&path, argv, &self.envp());
        match e {
            e if e == ENOEXEC => {
                // Not a binary: run it as a shell script, like bash.
                match ulib::read_file(&path) {
                    Ok(b) => {
                        let mut sh = self.child_copy();
                        sh.name = path.clone();
                        sh.positional = argv[1..].to_vec();
                        sh.run_program(&String::from_utf8_lossy(&b))
                    }
                    Err(e) => {
                        ueprintln!("{}: {path}: {}", self.name, e.message());
                        126
                    }
                }
            }
            e => {
                let e = if e == EACCES && ulib::stat(&path).is_ok_and(|s| s_isdir(s.st_mode)) {
                    EISDIR
                } else {
                    e
                };
                ueprintln!("{}: {path}: {}", self.name, e.message());
                if e == ENOENT {
                    127
                } else {
                    126
                }
            }
        }
    }

    /// Apply redirections; with `save`, returns how to undo them. `None`
    /// (after a message) when one fails.
    fn apply_redirs(&mut self, redirs: &[Redir], save: bool) -> Option<Vec<(i32, Option<i32>)>> {
        let mut saved = Vec::new();
        for r in redirs {
            let target = expand_single(self, &r.target);
            if save && !saved.iter().any(|(fd, _)| *fd == r.fd) {
                let keep = ulib::fcntl(r.fd, F_DUPFD_CLOEXEC, 10)
                    .ok()
                    .map(|f| f as i32);
                saved.push((r.fd, keep));
            }
            let res = match r.op {
                RedirOp::In | RedirOp::Out | RedirOp::Append => {
                    let flags = match r.op {
                        RedirOp::In => O_RDONLY,
                        RedirOp::Out => O_WRONLY | O_CREAT | O_TRUNC,
                        _ => O_WRONLY | O_CREAT | O_APPEND,
                    };
                    ulib::open(&target, flags, 0o666).and_then(|fd| {
                        if fd != r.fd {
                            ulib::dup2(fd, r.fd)?;
                            ulib::close(fd)?;
                        }
                        Ok(())
                    })
                }
                RedirOp::DupOut | RedirOp::DupIn => {
                    if target == "-" {
                        let _ = ulib::close(r.fd);
                        Ok(())
                    } else {
                        match target.parse::<i32>() {
                            Ok(src) => ulib::dup2(src, r.fd).map(drop),
                            Err(_) => {
                                ueprintln!("{}: {target}: ambiguous redirect", self.name);
                                if save {
                                    restore(saved);
                                }
                                return None;
                            }
                        }
                    }
                }
            };
            if let Err(e) = res {
                let what = if matches!(r.op, RedirOp::DupOut | RedirOp::DupIn) {
                    format!("{target}: Bad file descriptor")
                } else {
                    format!("{target}: {}", e.message())
                };
                ueprintln!("{}: {what}", self.name);
                if save {
                    restore(saved);
                }
                return None;
            }
        }
        Some(saved)
    }

    /// `jobs`: print every job, then forget the finished ones.
    pub fn list_jobs(&mut self) {
        self.reap();
        for j in self.jobs.list.clone() {
            uprintln!("{}", self.jobs.format(&j));
            if j.state() == State::Done {
                self.jobs.remove(j.id);
            }
        }
    }

    /// Wait for a job to finish (the `wait` builtin); its exit code.
    pub fn wait_job(&mut self, id: usize) -> i32 {
        self.wait_while_running(id);
        if self
            .jobs
            .get(id)
            .is_some_and(|j| j.state() == State::Stopped)
        {
            // A stopped job: wait returns, as in bash.
            return 128 + SIGTSTP;
        }
        let st = self.jobs.get(id).map(|j| j.last_status()).unwrap_or(0);
        self.jobs.remove(id);
        exit_code(st)
    }

    /// Wait for every child (the `wait` builtin without arguments).
    pub fn wait_all(&mut self) {
        let ids: Vec<usize> = self.jobs.list.iter().map(|j| j.id).collect();
        for id in ids {
            self.wait_job(id);
        }
        loop {
            match ulib::wait4(-1, 0) {
                Err(e) if e == ECHILD => break,
                Err(e) if e == EINTR => {}
                Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

/// Undo saved redirections.
fn restore(saved: Vec<(i32, Option<i32>)>) {
    for (fd, keep) in saved.into_iter().rev() {
        match keep {
            Some(k) => {
                let _ = ulib::dup2(k, fd);
                let _ = ulib::close(k);
            }
            None => {
                let _ = ulib::close(fd);
            }
        }
    }
}

/// What `jobs` and job-status messages call a job, rendered only when a job
/// is made (most commands are builtins and make none).
#[derive(Clone, Copy)]
enum JobText<'a> {
    /// The source text the parser kept (a whole list item).
    Source(&'a str),
    /// Source-like text rebuilt from the pipeline (pipelines inside and-or
    /// lists, which keep no source span).
    Of(&'a Pipeline),
}

impl JobText<'_> {
    fn render(self) -> String {
        match self {
            JobText::Source(s) => s.to_string(),
            JobText::Of(p) => pipeline_text(p),
        }
    }
}

fn pipeline_text(p: &Pipeline) -> String {
    p.cmds
        .iter()
        .map(|c| match c {
            Command::Simple(s) => s
                .words
                .iter()
                .map(|w| {
                    w.0.iter()
                        .map(|seg| match seg {
                            super::lexer::Seg::Lit { s, .. } => s.clone(),
                            super::lexer::Seg::Param { name, .. } => format!("${name}"),
                            super::lexer::Seg::CmdSub { src, .. } => format!("$({src})"),
                            super::lexer::Seg::Arith { expr, .. } => format!("$(({expr}))"),
                            super::lexer::Seg::ParamOp { name, op, word, .. } => {
                                format!("${{{name}{op}{word}}}")
                            }
                        })
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join(" "),
            Command::Compound(..) => "(...)".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}
