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
}
