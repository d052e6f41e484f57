//! kmod's tools: `insmod`, `rmmod`, `lsmod`, `modinfo` — thin front ends
//! of the `finit_module`/`delete_module` system calls, `/proc/modules` and
//! the `.ko` file's modinfo text, with kmod's messages.
//!
//! Module files live in `/lib/modules/$(uname -r)/NAME.ko`. Like modprobe
//! (and unlike kmod's strict insmod), a bare NAME is looked up there.

use ulib::uapi::fcntl::{O_CLOEXEC, O_RDONLY};
use ulib::{ueprintln, uprint, uprintln, Errno};

const O_NONBLOCK: u64 = 0o4000;
const O_TRUNC: u64 = 0o1000;

fn release() -> String {
    ulib::uname().map(|u| u.release).unwrap_or_default()
}

/// `NAME` or a path to the module file.
fn module_path(arg: &str) -> String {
    if arg.contains('/') {
        arg.to_string()
    } else {
        format!(
            "/lib/modules/{}/{}.ko",
            release(),
            arg.trim_end_matches(".ko")
        )
    }
}

/// The module name a file or argument refers to (`a-b.ko` → `a_b`).
fn module_name(arg: &str) -> String {
    let base = arg.rsplit('/').next().unwrap_or(arg);
    base.trim_end_matches(".ko").replace('-', "_")
}

/// kmod's wording for a failed insertion.
fn insert_error(e: Errno) -> String {
    match e {
        ulib::errno::EEXIST => "Module already in kernel".into(),
        ulib::errno::ENOEXEC => "Invalid module format".into(),
        ulib::errno::ENOENT => "Unknown symbol in module, or unknown parameter (see dmesg)".into(),
        e => e.message(),
    }
}

pub fn insmod(args: &[String]) -> i32 {
    let Some(target) = args.get(1) else {
        ueprintln!("insmod: ERROR: missing filename.");
        return 1;
    };
    let params = args[2..].join(" ");
    let path = module_path(target);
    let fd = match ulib::open(&path, O_RDONLY | O_CLOEXEC, 0) {
        Ok(fd) => fd,
        Err(e) => {
            ueprintln!(
                "insmod: ERROR: could not load module {target}: {}",
                e.message()
            );
            return 1;
        }
    };
    let r = ulib::finit_module(fd, &params, 0);
    let _ = ulib::close(fd);
    match r {
        Ok(()) => 0,
        Err(e) => {
            ueprintln!(
                "insmod: ERROR: could not insert module {path}: {}",
                insert_error(e)
            );
            1
        }
    }
}

pub fn rmmod(args: &[String]) -> i32 {
    let force = args[1..].iter().any(|a| a == "-f" || a == "--force");
    let names: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        ueprintln!("rmmod: ERROR: missing module name.");
        return 1;
    }
    let mut st = 0;
    for n in names {
        let name = module_name(n);
        let flags = O_NONBLOCK | if force { O_TRUNC } else { 0 };
        if let Err(e) = ulib::delete_module(&name, flags) {
            match e {
                ulib::errno::ENOENT => {
                    ueprintln!("rmmod: ERROR: Module {name} is not currently loaded")
                }
                ulib::errno::EWOULDBLOCK => ueprintln!("rmmod: ERROR: Module {name} is in use"),
                e => ueprintln!(
                    "rmmod: ERROR: could not remove module {name}: {}",
                    e.message()
                ),
            }
            st = 1;
        }
    }
    st
}

/// `lsmod`: /proc/modules in columns.
pub fn lsmod(_args: &[String]) -> i32 {
    let text = match ulib::read_file("/proc/modules") {
        Ok(t) => String::from_utf8_lossy(&t).into_owned(),
        Err(e) => {
            ueprintln!(
                "lsmod: ERROR: could not open '/proc/modules': {}",
                e.message()
            );
            return 1;
        }
    };
    uprintln!("Module                  Size  Used by");
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let users = f[3].trim_end_matches(',');
        let users = if users == "-" { "" } else { users };
        uprint!("{:<19} {:>8}  {}", f[0], f[1], f[2]);
        if users.is_empty() {
            uprintln!();
        } else {
            uprintln!(" {users}");
        }
    }
    0
}

/// `modinfo [-F field] NAME|FILE`: the module file's modinfo text.
pub fn modinfo(args: &[String]) -> i32 {
    let mut field = None;
    let mut targets = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-F" | "--field" => {
                field = args.get(i + 1).cloned();
                i += 1;
            }
            a if a.starts_with('-') => return crate::coreutils::bad_option("modinfo", a, 1),
            a => targets.push(a.to_string()),
        }
        i += 1;
    }
    if targets.is_empty() {
        ueprintln!("modinfo: ERROR: missing module or filename.");
        return 1;
    }
    let mut st = 0;
    for t in targets {
        let data = match ulib::read_file(&module_path(&t)) {
            Ok(d) => d,
            Err(_) => {
                ueprintln!("modinfo: ERROR: Module {t} not found.");
                st = 1;
                continue;
            }
        };
        let text = String::from_utf8_lossy(&data);
        for line in text.lines().skip(1) {
            match &field {
                Some(f) => {
                    if let Some(v) = line.strip_prefix(&format!("{f}:")) {
                        uprintln!("{}", v.trim_start());
                    }
                }
                None => uprintln!("{line}"),
            }
        }
    }
    st
}
