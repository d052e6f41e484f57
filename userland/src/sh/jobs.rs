//! The job table: background and stopped pipelines, their process group,
//! per-process state, bash's `+`/`-` current and previous job, `%N` job
//! specs and bash's status lines (`[1]+  Stopped                 sleep 10`).
//!
//! Invariant: a job stays in the table until it is done *and* reported;
//! raw wait statuses are stored as wait4 returned them.

use ulib::wait::{wexitstatus, wifexited, wifsignaled, wifstopped, wtermsig};

#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: i32,
    /// The last wait status; `None` while running.
    pub status: Option<i32>,
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: usize,
    pub pgid: i32,
    pub procs: Vec<Proc>,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    Stopped,
    Done,
}

impl Job {
    pub fn state(&self) -> State {
        if self
            .procs
            .iter()
            .all(|p| p.status.is_some_and(|s| !wifstopped(s)))
        {
            State::Done
        } else if self.procs.iter().any(|p| p.status.is_some_and(wifstopped)) {
            State::Stopped
        } else {
            State::Running
        }
    }

    /// The raw status of the last process (the pipeline's status).
    pub fn last_status(&self) -> i32 {
        self.procs.last().and_then(|p| p.status).unwrap_or(0)
    }

    /// Bash's status word: Running, Stopped, Done, Exit N, Terminated...
    pub fn status_word(&self) -> String {
        match self.state() {
            State::Running => "Running".into(),
            State::Stopped => "Stopped".into(),
            State::Done => {
                let s = self.last_status();
                if wifsignaled(s) {
                    crate::signames::describe(wtermsig(s))
                } else if wifexited(s) && wexitstatus(s) != 0 {
                    format!("Exit {}", wexitstatus(s))
                } else {
                    "Done".into()
                }
            }
        }
    }
}

/// The shell-visible exit status of a raw wait status (128+sig on signals).
pub fn exit_code(status: i32) -> i32 {
    if wifsignaled(status) {
        128 + wtermsig(status)
    } else if wifstopped(status) {
        128 + ulib::wait::wstopsig(status)
    } else {
        wexitstatus(status)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Jobs {
    pub list: Vec<Job>,
    current: Option<usize>,
    previous: Option<usize>,
}

impl Jobs {
    /// Add a job; it becomes the current job. Returns its id.
    pub fn add(&mut self, pgid: i32, pids: &[i32], text: &str) -> usize {
        let id = self.list.iter().map(|j| j.id).max().unwrap_or(0) + 1;
        self.list.push(Job {
            id,
            pgid,
            procs: pids.iter().map(|&pid| Proc { pid, status: None }).collect(),
            text: text.to_string(),
        });
        self.make_current(id);
        id
    }

    pub fn make_current(&mut self, id: usize) {
        if self.current != Some(id) {
            self.previous = self.current;
            self.current = Some(id);
        }
    }

    pub fn get(&self, id: usize) -> Option<&Job> {
        self.list.iter().find(|j| j.id == id)
    }

    pub fn get_mut(&mut self, id: usize) -> Option<&mut Job> {
        self.list.iter_mut().find(|j| j.id == id)
    }

    /// Record a wait status for `pid`; true if it belonged to a job.
    pub fn record(&mut self, pid: i32, status: i32) -> bool {
        for j in &mut self.list {
            if let Some(p) = j.procs.iter_mut().find(|p| p.pid == pid) {
                p.status = Some(status);
                return true;
            }
        }
        false
    }

    /// Mark every process of job `id` running again (after SIGCONT).
    pub fn continued(&mut self, id: usize) {
        if let Some(j) = self.get_mut(id) {
            for p in &mut j.procs {
                if p.status.is_some_and(wifstopped) {
                    p.status = None;
                }
            }
        }
    }

    pub fn remove(&mut self, id: usize) {
        self.list.retain(|j| j.id != id);
        if self.current == Some(id) {
            self.current = self.previous.take();
        }
        if self.previous == Some(id) {
            self.previous = None;
        }
        if self.current.is_none() {
            self.current = self.list.last().map(|j| j.id);
        }
        if self.previous.is_none() {
            self.previous = self
                .list
                .iter()
                .rev()
                .map(|j| j.id)
                .find(|&i| Some(i) != self.current);
        }
    }

    /// `+`, `-` or a blank for job `id`.
    pub fn mark(&self, id: usize) -> char {
        if self.current == Some(id) {
            '+'
        } else if self.previous == Some(id) {
            '-'
        } else {
            ' '
        }
    }

    /// Bash's job line: `[1]+  Running                 sleep 10 &`.
    pub fn format(&self, j: &Job) -> String {
        let amp = if j.state() == State::Running {
            " &"
        } else {
            ""
        };
        format!(
            "[{}]{}  {:<24}{}{}",
            j.id,
            self.mark(j.id),
            j.status_word(),
            j.text,
            amp
        )
    }

    /// Resolve a job spec: `%N`, `%%`, `%+`, `%-`, or `%name` (prefix).
    pub fn parse_spec(&self, spec: &str) -> Option<usize> {
        let s = spec.strip_prefix('%')?;
        match s {
            "" | "%" | "+" => self.current,
            "-" => self.previous,
            n => match n.parse::<usize>() {
                Ok(id) => self.get(id).map(|j| j.id),
                Err(_) => self
                    .list
                    .iter()
                    .rev()
                    .find(|j| j.text.starts_with(n))
                    .map(|j| j.id),
            },
        }
    }

    /// The current job, if any.
    pub fn current(&self) -> Option<usize> {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ulib::wait::{w_exitcode, w_stopcode};

    #[test]
    fn states_and_lines() {
        let mut j = Jobs::default();
        let a = j.add(10, &[10, 11], "sleep 10 | cat");
        let b = j.add(12, &[12], "sleep 20");
        assert_eq!(
            j.format(j.get(a).unwrap()),
            "[1]-  Running                 sleep 10 | cat &"
        );
        j.record(12, w_stopcode(20));
        assert_eq!(
            j.format(j.get(b).unwrap()),
            "[2]+  Stopped                 sleep 20"
        );
        j.record(10, w_exitcode(0, 0));
        assert_eq!(j.get(a).unwrap().state(), State::Running);
        j.record(11, w_exitcode(0, 15));
        assert_eq!(
            j.format(j.get(a).unwrap()),
            "[1]-  Terminated              sleep 10 | cat"
        );
        assert_eq!(j.parse_spec("%1"), Some(1));
        assert_eq!(j.parse_spec("%%"), Some(2));
        assert_eq!(j.parse_spec("%-"), Some(1));
        assert_eq!(j.parse_spec("%sle"), Some(2));
        assert_eq!(j.parse_spec("%9"), None);
        j.continued(b);
        assert_eq!(j.get(b).unwrap().state(), State::Running);
        j.remove(b);
        assert_eq!(j.parse_spec("%+"), Some(1));
        assert_eq!(exit_code(w_exitcode(3, 0)), 3);
        assert_eq!(exit_code(w_exitcode(0, 9)), 137);
    }
}
