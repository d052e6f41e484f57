//! Signal names and descriptions as kill(1) and bash print them, and the
//! parsing of `-SIG`, `-NUM`, `SIGNAME` arguments shared by `kill`
//! (builtin and applet).

use ulib::uapi::signal::signal_name;

/// `"TERM"` for 15.
pub fn short_name(sig: i32) -> Option<&'static str> {
    signal_name(sig).map(|n| &n[3..])
}

/// Parse `TERM`, `SIGTERM`, `term` or `15`.
pub fn parse(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (0..=64).contains(&n).then_some(n);
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    (1..=31).find(|&sig| short_name(sig) == Some(name))
}

/// What a `kill` command line asks for. The applet (procps) and the shell
/// builtin (bash) read their arguments the same way and differ only in
/// their messages and in job specs, which the builtin resolves itself.
pub enum KillRequest<'a> {
    /// `kill -l [X]`: print this — the table of names, or the name of
    /// signal number X (or X - 128, an exit status), or the number of
    /// signal name X.
    Print(String),
    /// Send `sig` to each of `targets` (at least one).
    Send { sig: i32, targets: &'a [String] },
}

/// Why a `kill` command line was refused.
pub enum KillArgError<'a> {
    /// No arguments, `-s` with nothing after it, or a signal and no target.
    Usage,
    /// `-s X`, `-n X`, `-X` or `-l X` where X names no signal.
    BadSignal(&'a str),
}

/// Parse `kill [-s SIG | -n NUM | -SIG] [--] TARGET...` or `kill -l [X]`
/// (`args` without the command name). `-n` is bash's; procps has only `-s`.
pub fn parse_kill_args(
    args: &[String],
    n_option: bool,
) -> Result<KillRequest<'_>, KillArgError<'_>> {
    let (sig, targets) = match args.first().map(String::as_str) {
        None => return Err(KillArgError::Usage),
        Some("-l") | Some("-L") => {
            return match args.get(1) {
                None => Ok(KillRequest::Print(list())),
                Some(a) => lookup(a)
                    .map(KillRequest::Print)
                    .ok_or(KillArgError::BadSignal(a)),
            };
        }
        Some("-s") => (args.get(1).map(String::as_str), &args[2.min(args.len())..]),
        Some("-n") if n_option => (args.get(1).map(String::as_str), &args[2.min(args.len())..]),
        Some("--") => (Some("TERM"), &args[1..]),
        // `-9`, `-KILL`, `-SIGKILL` (a negative pid needs `--` first).
        Some(a) if a.starts_with('-') && a.len() > 1 => (Some(&a[1..]), &args[1..]),
        Some(_) => (Some("TERM"), args),
    };
    let spec = sig.ok_or(KillArgError::Usage)?;
    let sig = parse(spec).ok_or(KillArgError::BadSignal(spec))?;
    if targets.is_empty() {
        return Err(KillArgError::Usage);
    }
    Ok(KillRequest::Send { sig, targets })
}

/// The answer to `kill -l X`.
fn lookup(a: &str) -> Option<String> {
    match a.parse::<i32>() {
        Ok(n) => short_name(if n > 128 { n - 128 } else { n }).map(str::to_string),
        Err(_) => parse(a).map(|n| n.to_string()),
    }
}

/// `kill -l`: the names, space-separated, as procps prints them.
pub fn list() -> String {
    (1..=31)
        .filter_map(short_name)
        .collect::<Vec<_>>()
        .join(" ")
}

/// strsignal(3) as glibc words it (bash's job-status messages).
pub fn describe(sig: i32) -> String {
    const D: [&str; 31] = [
        "Hangup",
        "Interrupt",
        "Quit",
        "Illegal instruction",
        "Trace/breakpoint trap",
        "Aborted",
        "Bus error",
        "Floating point exception",
        "Killed",
        "User defined signal 1",
        "Segmentation fault",
        "User defined signal 2",
        "Broken pipe",
        "Alarm clock",
        "Terminated",
        "Stack fault",
        "Child exited",
        "Continued",
        "Stopped (signal)",
        "Stopped",
        "Stopped (tty input)",
        "Stopped (tty output)",
        "Urgent I/O condition",
        "CPU time limit exceeded",
        "File size limit exceeded",
        "Virtual timer expired",
        "Profiling timer expired",
        "Window changed",
        "I/O possible",
        "Power failure",
        "Bad system call",
    ];
    if (1..=31).contains(&sig) {
        D[(sig - 1) as usize].to_string()
    } else {
        format!("Real-time signal {}", sig - 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse("TERM"), Some(15));
        assert_eq!(parse("sigkill"), Some(9));
        assert_eq!(parse("9"), Some(9));
        assert_eq!(parse("BOGUS"), None);
        assert_eq!(short_name(2), Some("INT"));
        assert!(list().starts_with("HUP INT QUIT"));
        assert_eq!(describe(15), "Terminated");
    }

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn send(s: &str, n_option: bool) -> Option<(i32, Vec<String>)> {
        match parse_kill_args(&args(s), n_option) {
            Ok(KillRequest::Send { sig, targets }) => Some((sig, targets.to_vec())),
            _ => None,
        }
    }

    #[test]
    fn kill_arguments() {
        assert_eq!(send("12", false), Some((15, args("12"))));
        assert_eq!(send("-9 1 2", false), Some((9, args("1 2"))));
        assert_eq!(send("-SIGHUP 3", false), Some((1, args("3"))));
        assert_eq!(send("-s int 3", false), Some((2, args("3"))));
        assert_eq!(send("-n 10 %1", true), Some((10, args("%1"))));
        assert_eq!(send("-- -7", false), Some((15, args("-7"))));
        assert!(matches!(
            parse_kill_args(&[], false),
            Err(KillArgError::Usage)
        ));
        assert!(matches!(
            parse_kill_args(&args("-9"), false),
            Err(KillArgError::Usage)
        ));
        assert!(matches!(
            parse_kill_args(&args("-s"), false),
            Err(KillArgError::Usage)
        ));
        assert!(matches!(
            parse_kill_args(&args("-n 9 1"), false),
            Err(KillArgError::BadSignal("n"))
        ));
        assert!(matches!(
            parse_kill_args(&args("-FOO 1"), false),
            Err(KillArgError::BadSignal("FOO"))
        ));
        let print = |s: &str| match parse_kill_args(&args(s), false) {
            Ok(KillRequest::Print(p)) => Some(p),
            Err(KillArgError::BadSignal("x")) => None,
            _ => panic!("{s}"),
        };
        assert_eq!(print("-l"), Some(list()));
        assert_eq!(print("-l 9").as_deref(), Some("KILL"));
        assert_eq!(print("-l 137").as_deref(), Some("KILL"));
        assert_eq!(print("-l term").as_deref(), Some("15"));
        assert_eq!(print("-l x"), None);
    }
}
