//! `make [-f FILE] [-C DIR] [-j N] [-n] [-s] [VAR=value...] [TARGET...]`:
//! the subset of POSIX/GNU make a small C project needs, with GNU make's
//! messages.
//!
//! Makefiles: rules `targets: prerequisites [; recipe]` with tab-indented
//! recipe lines, `.PHONY`, pattern rules (`%.o: %.c`), variables (`=`
//! expanded at use, `:=`, `?=`, `+=`; command-line `VAR=value` overrides),
//! `$(VAR)`, `${VAR}`, `$(VAR:.c=.o)`, the automatic variables `$@ $< $^
//! $? $*`, `#` comments and `\` continuations. Prerequisites are expanded
//! when the rule is read, recipe lines when they run — GNU make's order.
//!
//! A target is remade when it is phony, missing, or older than a
//! prerequisite (modification times from stat(2)), or when a prerequisite
//! was remade. Each recipe line runs in its own `/bin/sh -c` child
//! (echoed unless it starts with `@`; `-` ignores its failure); `-j N` runs
//! up to N recipe lines of independent targets at once; `-n` prints what
//! would run. A failed line stops the build (`make: *** [Makefile:4: x]
//! Error 1`, status 2) after the running jobs finish.

use std::collections::{BTreeSet, HashMap};
use ulib::wait::{wexitstatus, wifexited, wtermsig};
use ulib::{ueprintln, uprintln};

/// How deep recursive variables may nest before make gives up.
const MAX_EXPANSION_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
struct Var {
    value: String,
    /// `=`: expanded at each use.
    recursive: bool,
    /// Set on the command line: makefile assignments do not override it.
    cmdline: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Rule {
    prereqs: Vec<String>,
    /// Recipe lines (unexpanded) with their makefile line numbers.
    recipe: Vec<(String, usize)>,
    /// The line of the rule the recipe belongs to.
    recipe_rule: usize,
}

#[derive(Clone, Debug, PartialEq)]
struct PatternRule {
    target: String,
    prereqs: Vec<String>,
    recipe: Vec<(String, usize)>,
}

/// A parsed makefile.
#[derive(Debug, Default)]
struct Makefile {
    name: String,
    vars: HashMap<String, Var>,
    rules: HashMap<String, Rule>,
    patterns: Vec<PatternRule>,
    phony: BTreeSet<String>,
    default_goal: Option<String>,
}

/// Automatic variables of a running recipe.
struct Auto<'a> {
    target: &'a str,
    prereqs: &'a [String],
    newer: &'a [String],
    stem: &'a str,
}

/// `name:line: *** msg.  Stop.`
fn stop(name: &str, line: usize, msg: &str) -> String {
    format!("{name}:{line}: *** {msg}.  Stop.")
}

impl Makefile {
    fn new(name: &str, cmdline: &[(String, String)]) -> Makefile {
        let mut m = Makefile {
            name: name.to_string(),
            ..Default::default()
        };
        for (k, v) in cmdline {
            m.vars.insert(
                k.clone(),
                Var {
                    value: v.clone(),
                    recursive: false,
                    cmdline: true,
                },
            );
        }
        m
    }

    /// Read makefile text; errors are GNU make's `*** ...  Stop.` lines.
    fn parse(&mut self, text: &str) -> Result<(), String> {
        let lines: Vec<&str> = text.lines().collect();
        // The rule whose recipe lines follow: its targets and line.
        let mut current: Option<(Vec<String>, usize)> = None;
        let mut i = 0;
        while i < lines.len() {
            let lineno = i + 1;
            let mut line = lines[i].to_string();
            i += 1;
            if let Some(body) = line.strip_prefix('\t') {
                let Some((targets, rule_line)) = &current else {
                    if body.trim().is_empty() || body.trim_start().starts_with('#') {
                        continue;
                    }
                    return Err(stop(
                        &self.name,
                        lineno,
                        "recipe commences before first target",
                    ));
                };
                // A recipe line keeps its continuations for the shell.
                let mut body = body.to_string();
                while body.ends_with('\\') && i < lines.len() {
                    body.push('\n');
                    body.push_str(lines[i].strip_prefix('\t').unwrap_or(lines[i]));
                    i += 1;
                }
                self.add_recipe_line(targets, *rule_line, &body, lineno);
                continue;
            }
            while line.ends_with('\\') && i < lines.len() {
                line.pop();
                line.truncate(line.trim_end().len());
                line.push(' ');
                line.push_str(lines[i].trim_start());
                i += 1;
            }
            let line = strip_comment(&line);
            if line.trim().is_empty() {
                continue;
            }
            if let Some((name, op, value)) = split_assignment(line) {
                current = None;
                self.assign(name, op, value, lineno)?;
                continue;
            }
            let Some((targets, rest)) = line.split_once(':') else {
                return Err(stop(&self.name, lineno, "missing separator"));
            };
            // `a:: b` is treated as `a: b`.
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            let (prereqs, inline) = match rest.split_once(';') {
                Some((p, r)) => (p, Some(r.trim_start())),
                None => (rest, None),
            };
            let targets: Vec<String> = self
                .expand(targets, None, 0)?
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if targets.is_empty() {
                return Err(stop(&self.name, lineno, "missing target"));
            }
            let prereqs: Vec<String> = self
                .expand(prereqs, None, 0)?
                .split_whitespace()
                .map(str::to_string)
                .collect();
            self.add_rule(&targets, prereqs);
            if let Some(r) = inline {
                self.add_recipe_line(&targets, lineno, r, lineno);
            }
            current = Some((targets, lineno));
        }
        Ok(())
    }

    fn assign(&mut self, name: &str, op: &str, value: &str, line: usize) -> Result<(), String> {
        let name = self.expand(name, None, 0)?.trim().to_string();
        if name.is_empty() {
            return Err(stop(&self.name, line, "empty variable name"));
        }
        if self.vars.get(&name).is_some_and(|v| v.cmdline) {
            return Ok(());
        }
        let value = value.trim_start().to_string();
        let var = match op {
            "=" => Var {
                value,
                recursive: true,
                cmdline: false,
            },
            ":=" | "::=" => Var {
                value: self.expand(&value, None, 0)?,
                recursive: false,
                cmdline: false,
            },
            "?=" if self.vars.contains_key(&name) => return Ok(()),
            "?=" => Var {
                value,
                recursive: true,
                cmdline: false,
            },
            _ => match self.vars.get(&name).cloned() {
                // "+=": appends in the flavour of the variable
                Some(old) => Var {
                    value: if old.recursive {
                        format!("{} {value}", old.value)
                    } else {
                        format!("{} {}", old.value, self.expand(&value, None, 0)?)
                    },
                    ..old
                },
                None => Var {
                    value,
                    recursive: true,
                    cmdline: false,
                },
            },
        };
        self.vars.insert(name, var);
        Ok(())
    }

    fn add_rule(&mut self, targets: &[String], prereqs: Vec<String>) {
        for t in targets {
            if t == ".PHONY" {
                self.phony.extend(prereqs.iter().cloned());
            } else if t.contains('%') {
                self.patterns.push(PatternRule {
                    target: t.clone(),
                    prereqs: prereqs.clone(),
                    recipe: Vec::new(),
                });
            } else {
                if self.default_goal.is_none() && !t.starts_with('.') {
                    self.default_goal = Some(t.clone());
                }
                let r = self.rules.entry(t.clone()).or_default();
                for p in &prereqs {
                    if !r.prereqs.contains(p) {
                        r.prereqs.push(p.clone());
                    }
                }
            }
        }
    }

    /// A recipe line of the rule at `rule_line`, for each of its `targets`
    /// (a second rule with a recipe for a target replaces the first
    /// recipe, with GNU make's warnings).
    fn add_recipe_line(&mut self, targets: &[String], rule_line: usize, body: &str, line: usize) {
        for t in targets {
            if t == ".PHONY" {
                continue;
            }
            if t.contains('%') {
                if let Some(p) = self.patterns.iter_mut().rev().find(|p| &p.target == t) {
                    p.recipe.push((body.to_string(), line));
                }
                continue;
            }
            let name = self.name.clone();
            let r = self.rules.entry(t.clone()).or_default();
            if !r.recipe.is_empty() && r.recipe_rule != rule_line {
                let old = r.recipe_rule;
                ueprintln!("{name}:{rule_line}: warning: overriding recipe for target '{t}'");
                ueprintln!("{name}:{old}: warning: ignoring old recipe for target '{t}'");
                r.recipe.clear();
            }
            r.recipe_rule = rule_line;
            r.recipe.push((body.to_string(), line));
        }
    }

    /// Expand `$` references in `s`; `auto` gives the automatic variables.
    fn expand(&self, s: &str, auto: Option<&Auto>, depth: usize) -> Result<String, String> {
        if depth > MAX_EXPANSION_DEPTH {
            return Err(format!(
                "{}: *** Recursive variable references itself (eventually).  Stop.",
                self.name
            ));
        }
        let mut out = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '$' {
                out.push(c);
                continue;
            }
            let Some((_, n)) = chars.next() else { break };
            let reference = match n {
                '$' => {
                    out.push('$');
                    continue;
                }
                '(' | '{' => {
                    let close = if n == '(' { ')' } else { '}' };
                    let start = i + 2;
                    let mut level = 0;
                    let mut end = None;
                    for (j, d) in chars.by_ref() {
                        if d == n {
                            level += 1;
                        } else if d == close {
                            if level == 0 {
                                end = Some(j);
                                break;
                            }
                            level -= 1;
                        }
                    }
                    let Some(end) = end else {
                        return Err(format!(
                            "{}: *** unterminated variable reference.  Stop.",
                            self.name
                        ));
                    };
                    self.expand(&s[start..end], auto, depth + 1)?
                }
                c => c.to_string(),
            };
            out.push_str(&self.lookup(&reference, auto, depth)?);
        }
        Ok(out)
    }

    /// The value of a reference: a variable, an automatic variable, or a
    /// substitution reference `VAR:from=to`.
    fn lookup(&self, r: &str, auto: Option<&Auto>, depth: usize) -> Result<String, String> {
        if let Some((var, subst)) = r.split_once(':') {
            if let Some((from, to)) = subst.split_once('=') {
                let v = self.lookup(var, auto, depth)?;
                return Ok(v
                    .split_whitespace()
                    .map(|w| substitute(w, from, to))
                    .collect::<Vec<_>>()
                    .join(" "));
            }
        }
        if let Some(a) = auto {
            match r {
                "@" => return Ok(a.target.to_string()),
                "<" => return Ok(a.prereqs.first().cloned().unwrap_or_default()),
                "^" => {
                    let mut seen = Vec::new();
                    for p in a.prereqs {
                        if !seen.contains(p) {
                            seen.push(p.clone());
                        }
                    }
                    return Ok(seen.join(" "));
                }
                "?" => return Ok(a.newer.join(" ")),
                "*" => return Ok(a.stem.to_string()),
                _ => {}
            }
        }
        match self.vars.get(r) {
            Some(v) if v.recursive => self.expand(&v.value, auto, depth + 1),
            Some(v) => Ok(v.value.clone()),
            None => Ok(ulib::env::get(r).unwrap_or_default()),
        }
    }
}

/// `w` with suffix `from` replaced by `to` (`$(SRCS:.c=.o)`; with `%`,
/// a pattern substitution).
fn substitute(w: &str, from: &str, to: &str) -> String {
    if from.contains('%') {
        return match match_pattern(from, w) {
            Some(stem) => to.replacen('%', stem, 1),
            None => w.to_string(),
        };
    }
    match w.strip_suffix(from) {
        Some(base) if !from.is_empty() => format!("{base}{to}"),
        _ => w.to_string(),
    }
}

/// The stem if `name` matches `pat` (one `%`).
fn match_pattern<'a>(pat: &str, name: &'a str) -> Option<&'a str> {
    let (pre, post) = pat.split_once('%')?;
    let rest = name.strip_prefix(pre)?;
    let stem = rest.strip_suffix(post)?;
    (!stem.is_empty()).then_some(stem)
}

/// The line without its `#` comment (`\#` is a literal `#`).
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1] != b'\\') {
            return &line[..i];
        }
    }
    line
}

/// `NAME op value` for the assignment operators, if `line` is one (an
/// `=` before any rule colon, or `:=`/`::=`).
fn split_assignment(line: &str) -> Option<(&str, &str, &str)> {
    let eq = line.find('=')?;
    if let Some(colon) = line.find(':') {
        if colon < eq && !line[colon..eq].chars().all(|c| c == ':') {
            return None;
        }
    }
    let head = &line[..eq];
    let (name, op) = if let Some(n) = head.strip_suffix("::") {
        (n, "::=")
    } else if let Some(n) = head.strip_suffix(':') {
        (n, ":=")
    } else if let Some(n) = head.strip_suffix('?') {
        (n, "?=")
    } else if let Some(n) = head.strip_suffix('+') {
        (n, "+=")
    } else {
        (head, "=")
    };
    if name.trim().is_empty() || name.trim().contains(char::is_whitespace) {
        return None;
    }
    Some((name.trim(), op, &line[eq + 1..]))
}

/// One target of the build graph.
struct Node {
    name: String,
    deps: Vec<usize>,
    prereqs: Vec<String>,
    recipe: Vec<(String, usize)>,
    stem: String,
    phony: bool,
    /// The file's modification time when the graph was built (`None`: no
    /// such file). Stat'ed once: a prerequisite remade since counts as
    /// newer whatever its time, and nothing else changes during a build.
    mtime: Option<(i64, i64)>,
    /// The prerequisites newer than the target (`$?`), found once when
    /// the target's prerequisites are done.
    newer: Vec<String>,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    Pending,
    /// Running recipe line `line` in child `pid` (0 with `-n`); `ignore`:
    /// the expanded line had the `-` prefix, so a failure is ignored.
    Running {
        line: usize,
        pid: i32,
        ignore: bool,
    },
    Done {
        remade: bool,
    },
    Failed,
}

/// Options of one run.
struct Opts {
    jobs: usize,
    dry_run: bool,
    silent: bool,
}

/// The build graph and the scheduler running its recipes.
struct Build<'a> {
    mf: &'a Makefile,
    opts: &'a Opts,
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    running: usize,
    failed: bool,
    commands: usize,
}

fn mtime(path: &str) -> Option<(i64, i64)> {
    ulib::stat(path)
        .ok()
        .map(|s| (s.st_mtime.tv_sec, s.st_mtime.tv_nsec))
}

impl<'a> Build<'a> {
    /// The node of `name`, adding it and its prerequisites (depth first;
    /// `stack` detects cycles, which GNU make drops with a message).
    fn node(
        &mut self,
        name: &str,
        parent: Option<&str>,
        stack: &mut Vec<String>,
    ) -> Result<usize, String> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let explicit = self.mf.rules.get(name);
        let mut prereqs = explicit.map(|r| r.prereqs.clone()).unwrap_or_default();
        let mut recipe = explicit.map(|r| r.recipe.clone()).unwrap_or_default();
        let mut stem = String::new();
        if recipe.is_empty() {
            // implicit rule search: the first pattern rule whose
            // prerequisites exist or can be made
            for p in &self.mf.patterns {
                let Some(s) = match_pattern(&p.target, name) else {
                    continue;
                };
                if p.recipe.is_empty() {
                    continue;
                }
                let ps: Vec<String> = p.prereqs.iter().map(|x| x.replacen('%', s, 1)).collect();
                if ps
                    .iter()
                    .all(|x| mtime(x).is_some() || self.mf.rules.contains_key(x))
                {
                    prereqs.extend(ps);
                    recipe = p.recipe.clone();
                    stem = s.to_string();
                    break;
                }
            }
        }
        let phony = self.mf.phony.contains(name);
        let file_mtime = mtime(name);
        if explicit.is_none() && recipe.is_empty() && !phony && file_mtime.is_none() {
            return Err(match parent {
                Some(p) => {
                    format!("make: *** No rule to make target '{name}', needed by '{p}'.  Stop.")
                }
                None => format!("make: *** No rule to make target '{name}'.  Stop."),
            });
        }
        let i = self.nodes.len();
        self.index.insert(name.to_string(), i);
        self.nodes.push(Node {
            name: name.to_string(),
            deps: Vec::new(),
            prereqs: prereqs.clone(),
            recipe,
            stem,
            phony,
            mtime: file_mtime,
            newer: Vec::new(),
            state: State::Pending,
        });
        stack.push(name.to_string());
        let mut deps = Vec::new();
        for p in &prereqs {
            if stack.contains(p) {
                ueprintln!("make: Circular {name} <- {p} dependency dropped.");
                continue;
            }
            let d = self.node(p, Some(name), stack)?;
            if !deps.contains(&d) {
                deps.push(d);
            }
        }
        stack.pop();
        self.nodes[i].deps = deps;
        Ok(i)
    }

    /// Whether `i` must be remade now that its prerequisites are done,
    /// and the prerequisites newer than it (`$?`).
    fn out_of_date(&self, i: usize) -> (bool, Vec<String>) {
        let n = &self.nodes[i];
        let own = if n.phony { None } else { n.mtime };
        let mut newer = Vec::new();
        for &d in &n.deps {
            let dn = &self.nodes[d];
            let remade = matches!(dn.state, State::Done { remade: true });
            let is_newer = match (own, dn.mtime) {
                (Some(t), Some(dt)) => dt > t,
                _ => true,
            };
            if remade || is_newer || dn.phony {
                newer.push(dn.name.clone());
            }
        }
        // a remade prerequisite is always in `newer`
        (n.phony || own.is_none() || !newer.is_empty(), newer)
    }

    /// Start recipe line `line` of node `i` (or, with `-n`, print it).
    fn start_line(&mut self, i: usize, line: usize) -> Result<(), String> {
        let n = &self.nodes[i];
        let (raw, _) = &n.recipe[line];
        let auto = Auto {
            target: &n.name,
            prereqs: &n.prereqs,
            newer: &n.newer,
            stem: &n.stem,
        };
        let text = self.mf.expand(raw, Some(&auto), 0)?;
        let (mut silent, mut ignore, mut cmd) = (self.opts.silent, false, text.as_str());
        loop {
            match cmd.as_bytes().first() {
                Some(b'@') => silent = true,
                Some(b'-') => ignore = true,
                Some(b'+') | Some(b' ') | Some(b'\t') => {}
                _ => break,
            }
            cmd = &cmd[1..];
        }
        if !silent || self.opts.dry_run {
            uprintln!("{cmd}");
        }
        self.commands += 1;
        if self.opts.dry_run || cmd.trim().is_empty() {
            self.nodes[i].state = State::Running {
                line,
                pid: 0,
                ignore,
            };
            return self.line_done(i, 0);
        }
        ulib::io::flush_all();
        let argv = ["/bin/sh".to_string(), "-c".to_string(), cmd.to_string()];
        let envp = ulib::env::envp();
        let pid = ulib::fork(move || {
            let e = ulib::execve("/bin/sh", &argv, &envp);
            ueprintln!("make: /bin/sh: {}", e.message());
            127
        })
        .map_err(|e| format!("make: fork: {}", e.message()))?;
        self.running += 1;
        self.nodes[i].state = State::Running { line, pid, ignore };
        Ok(())
    }

    /// Recipe line of `i` ended with wait status `status`.
    fn line_done(&mut self, i: usize, status: i32) -> Result<(), String> {
        let State::Running { line, ignore, .. } = self.nodes[i].state else {
            return Ok(());
        };
        let (_, lineno) = &self.nodes[i].recipe[line];
        if status != 0 {
            let why = if wifexited(status) {
                format!("Error {}", wexitstatus(status))
            } else {
                crate::signames::describe(wtermsig(status))
            };
            let where_ = format!("{}:{lineno}: {}", self.mf.name, self.nodes[i].name);
            if ignore {
                ueprintln!("make: [{where_}] {why} (ignored)");
            } else {
                ueprintln!("make: *** [{where_}] {why}");
                if self.running > 0 {
                    ueprintln!("make: *** Waiting for unfinished jobs....");
                }
                self.nodes[i].state = State::Failed;
                self.failed = true;
                return Ok(());
            }
        }
        if self.failed {
            // another job failed meanwhile: the recipe stops here
            self.nodes[i].state = State::Failed;
            return Ok(());
        }
        if line + 1 < self.nodes[i].recipe.len() {
            return self.start_line(i, line + 1);
        }
        self.nodes[i].state = State::Done { remade: true };
        Ok(())
    }

    /// Nodes of `goal`'s tree in depth-first post order.
    fn order(&self, goal: usize) -> Vec<usize> {
        fn walk(b: &Build, i: usize, seen: &mut Vec<bool>, out: &mut Vec<usize>) {
            if seen[i] {
                return;
            }
            seen[i] = true;
            for &d in &b.nodes[i].deps {
                walk(b, d, seen, out);
            }
            out.push(i);
        }
        let mut seen = vec![false; self.nodes.len()];
        let mut out = Vec::new();
        walk(self, goal, &mut seen, &mut out);
        out
    }

    /// Bring `goal` up to date: start every target whose prerequisites
    /// are done (up to `-j` recipe lines at once), then wait for a child.
    fn make(&mut self, goal: usize) -> Result<(), String> {
        let order = self.order(goal);
        loop {
            let mut progress = false;
            for &i in &order {
                if self.failed || self.running >= self.opts.jobs {
                    break;
                }
                if self.nodes[i].state != State::Pending {
                    continue;
                }
                let deps_done = self.nodes[i]
                    .deps
                    .iter()
                    .all(|&d| matches!(self.nodes[d].state, State::Done { .. }));
                if !deps_done {
                    continue;
                }
                progress = true;
                let (needed, newer) = self.out_of_date(i);
                self.nodes[i].newer = newer;
                if !needed || self.nodes[i].recipe.is_empty() {
                    // nothing to run: remade if a prerequisite was
                    self.nodes[i].state = State::Done {
                        remade: needed && !self.nodes[i].deps.is_empty(),
                    };
                    continue;
                }
                self.start_line(i, 0)?;
            }
            // a settled target may have made others ready
            if progress && self.running < self.opts.jobs && !self.failed {
                continue;
            }
            if self.running == 0 {
                break;
            }
            let (pid, status) =
                ulib::wait4(-1, 0).map_err(|e| format!("make: wait: {}", e.message()))?;
            let job = self
                .nodes
                .iter()
                .position(|n| matches!(n.state, State::Running { pid: p, .. } if p == pid));
            if let Some(i) = job {
                self.running -= 1;
                self.line_done(i, status)?;
            }
        }
        Ok(())
    }
}

fn usage() -> i32 {
    ueprintln!("Usage: make [options] [target] ...");
    ueprintln!("Options:");
    ueprintln!("  -C DIRECTORY                Change to DIRECTORY before doing anything.");
    ueprintln!("  -f FILE                     Read FILE as a makefile.");
    ueprintln!("  -j [N]                      Allow N jobs at once; infinite jobs with no arg.");
    ueprintln!("  -n, --dry-run               Don't actually run any recipe; just print them.");
    ueprintln!("  -s, --silent                Don't echo recipes.");
    2
}

pub fn main(args: &[String]) -> i32 {
    let mut file = None;
    let mut dir = None;
    let mut opts = Opts {
        jobs: 1,
        dry_run: false,
        silent: false,
    };
    let mut cmdline_vars = Vec::new();
    let mut goals = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        let mut value = |flag: &str| -> Option<String> {
            match a.strip_prefix(flag).filter(|v| !v.is_empty()) {
                Some(v) => Some(v.to_string()),
                None => {
                    i += 1;
                    args.get(i - 1).cloned()
                }
            }
        };
        match a {
            "-n" | "--dry-run" | "--just-print" => opts.dry_run = true,
            "-s" | "--silent" | "--quiet" => opts.silent = true,
            "-h" | "--help" => {
                usage();
                return 0;
            }
            _ if a.starts_with("-j") => {
                let v = a.strip_prefix("-j").unwrap_or("");
                opts.jobs = if !v.is_empty() {
                    match v.parse() {
                        Ok(n) if n > 0 => n,
                        _ => {
                            ueprintln!(
                                "make: the '-j' option requires a positive integer argument"
                            );
                            return usage();
                        }
                    }
                } else if let Some(n) = args.get(i).and_then(|n| n.parse().ok()) {
                    i += 1;
                    usize::max(n, 1)
                } else {
                    usize::MAX
                };
            }
            _ if a.starts_with("-f") => match value("-f") {
                Some(f) => file = Some(f),
                None => {
                    ueprintln!("make: option requires an argument -- 'f'");
                    return usage();
                }
            },
            _ if a.starts_with("-C") => match value("-C") {
                Some(d) => dir = Some(d),
                None => {
                    ueprintln!("make: option requires an argument -- 'C'");
                    return usage();
                }
            },
            _ if a.starts_with('-') && a.len() > 1 => {
                ueprintln!("make: invalid option -- '{}'", a.trim_start_matches('-'));
                return usage();
            }
            _ => match a.split_once('=') {
                Some((k, v)) if !k.is_empty() && !k.contains(char::is_whitespace) => {
                    cmdline_vars.push((k.to_string(), v.to_string()))
                }
                _ => goals.push(a.to_string()),
            },
        }
    }
    if let Some(d) = &dir {
        if let Err(e) = ulib::chdir(d) {
            ueprintln!("make: *** {d}: {}.  Stop.", e.message());
            return 2;
        }
        uprintln!(
            "make: Entering directory '{}'",
            ulib::getcwd().unwrap_or_else(|_| d.clone())
        );
    }
    let status = run(file, cmdline_vars, goals, &opts);
    if let Some(d) = &dir {
        uprintln!(
            "make: Leaving directory '{}'",
            ulib::getcwd().unwrap_or_else(|_| d.clone())
        );
    }
    status
}

/// Read the makefile and make the goals; the exit status.
fn run(
    file: Option<String>,
    cmdline_vars: Vec<(String, String)>,
    goals: Vec<String>,
    opts: &Opts,
) -> i32 {
    let name = match file {
        Some(f) => f,
        None => match ["GNUmakefile", "makefile", "Makefile"]
            .iter()
            .find(|f| ulib::stat(f).is_ok())
        {
            Some(f) => f.to_string(),
            None => {
                if goals.is_empty() {
                    ueprintln!("make: *** No targets specified and no makefile found.  Stop.");
                } else {
                    ueprintln!("make: *** No rule to make target '{}'.  Stop.", goals[0]);
                }
                return 2;
            }
        },
    };
    let text = match ulib::read_file(&name) {
        Ok(t) => String::from_utf8_lossy(&t).into_owned(),
        Err(e) => {
            ueprintln!("make: {name}: {}", e.message());
            ueprintln!("make: *** No rule to make target '{name}'.  Stop.");
            return 2;
        }
    };
    let mut mf = Makefile::new(&name, &cmdline_vars);
    if let Err(e) = mf.parse(&text) {
        ueprintln!("{e}");
        return 2;
    }
    let goals = if goals.is_empty() {
        match &mf.default_goal {
            Some(g) => vec![g.clone()],
            None => {
                ueprintln!("make: *** No targets.  Stop.");
                return 2;
            }
        }
    } else {
        goals
    };
    let mut b = Build {
        mf: &mf,
        opts,
        nodes: Vec::new(),
        index: HashMap::new(),
        running: 0,
        failed: false,
        commands: 0,
    };
    for g in &goals {
        let before = b.commands;
        let r = b
            .node(g, None, &mut Vec::new())
            .and_then(|i| b.make(i).map(|_| i));
        let i = match r {
            Ok(i) => i,
            Err(e) => {
                ueprintln!("{e}");
                return 2;
            }
        };
        if b.failed {
            return 2;
        }
        if b.commands == before {
            if b.nodes[i].recipe.is_empty() || b.nodes[i].phony {
                uprintln!("make: Nothing to be done for '{g}'.");
            } else {
                uprintln!("make: '{g}' is up to date.");
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Makefile {
        let mut m = Makefile::new("Makefile", &[("MODE".into(), "fast".into())]);
        m.parse(text).unwrap();
        m
    }

    #[test]
    fn rules_variables_and_patterns() {
        let m = parse(
            "# a project\n\
             CC = cc\n\
             SRCS := main.c greet.c\n\
             OBJS = $(SRCS:.c=.o)\n\
             CFLAGS ?= -O2\n\
             CFLAGS += -Wall\n\
             MODE = slow\n\
             \n\
             hello: $(OBJS)\n\
             \t$(CC) -o $@ $^\n\
             %.o: %.c greet.h\n\
             \t$(CC) $(CFLAGS) -c -o $@ $<\n\
             .PHONY: clean\n\
             clean: ; rm -f hello \\\n\
             \t*.o\n",
        );
        assert_eq!(m.default_goal.as_deref(), Some("hello"));
        assert_eq!(m.rules["hello"].prereqs, ["main.o", "greet.o"]);
        assert_eq!(
            m.expand("$(CFLAGS) ${MODE} $$x", None, 0).unwrap(),
            "-O2 -Wall fast $x"
        );
        assert_eq!(m.patterns.len(), 1);
        assert_eq!(m.patterns[0].prereqs, ["%.c", "greet.h"]);
        assert!(m.phony.contains("clean"));
        assert_eq!(m.rules["clean"].recipe[0].0, "rm -f hello *.o");
        let prereqs = ["main.c".to_string(), "greet.h".into(), "main.c".into()];
        let auto = Auto {
            target: "main.o",
            prereqs: &prereqs,
            newer: &[],
            stem: "main",
        };
        assert_eq!(
            m.expand(&m.patterns[0].recipe[0].0, Some(&auto), 0)
                .unwrap(),
            "cc -O2 -Wall -c -o main.o main.c"
        );
        assert_eq!(
            m.expand("$^ $* $(@:.o=.d)", Some(&auto), 0).unwrap(),
            "main.c greet.h main main.d"
        );
    }

    #[test]
    fn errors_are_gnu_makes() {
        let mut m = Makefile::new("Makefile", &[]);
        assert_eq!(
            m.parse("all:\n\techo\nthis is not a rule\n").unwrap_err(),
            "Makefile:3: *** missing separator.  Stop."
        );
        let mut m = Makefile::new("Makefile", &[]);
        assert_eq!(
            m.parse("\techo hi\n").unwrap_err(),
            "Makefile:1: *** recipe commences before first target.  Stop."
        );
        let mut m = Makefile::new("Makefile", &[]);
        m.parse("A = $(B)\nB = $(A)\n").unwrap();
        assert!(m
            .expand("$(A)", None, 0)
            .unwrap_err()
            .contains("Recursive variable"));
        let mut m = Makefile::new("Makefile", &[]);
        assert!(m
            .parse("x := $(oops\n")
            .unwrap_err()
            .contains("unterminated"));
    }

    #[test]
    fn helpers() {
        assert_eq!(match_pattern("%.o", "dir/a.o"), Some("dir/a"));
        assert_eq!(match_pattern("%.o", ".o"), None);
        assert_eq!(substitute("a.c", "%.c", "obj/%.o"), "obj/a.o");
        assert_eq!(strip_comment("a: b # c"), "a: b ");
        assert_eq!(strip_comment("x = \\# y"), "x = \\# y");
        assert_eq!(split_assignment("X := 1"), Some(("X", ":=", " 1")));
        assert_eq!(split_assignment("a: b=c"), None);
        assert_eq!(split_assignment("a b = c"), None);
    }
}
