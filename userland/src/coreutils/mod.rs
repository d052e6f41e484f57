//! The coreutils-style applets, one module each, and their shared helpers:
//! opening `-`-or-path inputs and coreutils' error wording.

pub mod cat;
pub mod dd;
pub mod dmesg;
pub mod echo;
pub mod env;
pub mod free;
pub mod grep;
pub mod headtail;
pub mod id;
pub mod kill;
pub mod ls;
pub mod mkdir;
pub mod mount;
pub mod ps;
pub mod rm;
pub mod rmdir;
pub mod sleep;
pub mod truefalse;
pub mod uname;
pub mod wc;
pub mod yes;

use ulib::uapi::fcntl::{O_CLOEXEC, O_RDONLY};
use ulib::Errno;

/// Open an input operand: `-` is stdin (not closed by [`close_input`]).
pub fn open_input(path: &str) -> Result<i32, Errno> {
    if path == "-" {
        Ok(0)
    } else {
        ulib::open(path, O_RDONLY | O_CLOEXEC, 0)
    }
}

pub fn close_input(fd: i32) {
    if fd != 0 {
        let _ = ulib::close(fd);
    }
}

/// The applet's name from argv[0].
pub fn prog(args: &[String], default: &'static str) -> String {
    args.first()
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        .unwrap_or_else(|| default.to_string())
}

/// coreutils' "missing operand" message plus the usage hint; status 1.
pub fn missing_operand(prog: &str) -> i32 {
    ulib::ueprintln!("{prog}: missing operand");
    ulib::ueprintln!("Try '{prog} --help' for more information.");
    1
}

/// coreutils' "invalid option" message plus the usage hint; status 1
/// (2 for a few applets, passed as `code`).
pub fn bad_option(prog: &str, opt: &str, code: i32) -> i32 {
    if let Some(long) = opt.strip_prefix("--") {
        ulib::ueprintln!("{prog}: unrecognized option '--{long}'");
    } else {
        ulib::ueprintln!(
            "{prog}: invalid option -- '{}'",
            opt.trim_start_matches('-')
        );
    }
    ulib::ueprintln!("Try '{prog} --help' for more information.");
    code
}

/// A user (or group) column as usk has no /etc/passwd: `root` for 0, else
/// the number (`ls -l`, `ps -u`).
pub fn user_name(uid: u32) -> String {
    if uid == 0 {
        "root".into()
    } else {
        uid.to_string()
    }
}
