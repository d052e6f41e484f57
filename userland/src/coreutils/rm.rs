//! `rm [-rRfd] FILE...`: remove files (and with -r, directories
//! recursively); -f ignores missing files and never fails for them.

use super::{bad_option, missing_operand, prog};
use ulib::errno::ENOENT;
use ulib::uapi::fcntl::s_isdir;
use ulib::ueprintln;

fn remove(p: &str, path: &str, recursive: bool, dir_ok: bool, force: bool) -> bool {
    let st = match ulib::lstat(path) {
        Ok(s) => s,
        Err(e) => {
            if force && e == ENOENT {
                return true;
            }
            ueprintln!("{p}: cannot remove '{path}': {}", e.message());
            return false;
        }
    };
    if s_isdir(st.st_mode) {
        if !recursive && !dir_ok {
            ueprintln!("{p}: cannot remove '{path}': Is a directory");
            return false;
        }
        let mut ok = true;
        if recursive {
            match ulib::read_dir(path) {
                Ok(ents) => {
                    for d in ents {
                        if d.d_name == "." || d.d_name == ".." {
                            continue;
                        }
                        let child = format!("{}/{}", path.trim_end_matches('/'), d.d_name);
                        ok &= remove(p, &child, recursive, dir_ok, force);
                    }
                }
                Err(e) => {
                    ueprintln!("{p}: cannot remove '{path}': {}", e.message());
                    return false;
                }
            }
        }
        if let Err(e) = ulib::rmdir(path) {
            ueprintln!("{p}: cannot remove '{path}': {}", e.message());
            return false;
        }
        ok
    } else if let Err(e) = ulib::unlink(path) {
        ueprintln!("{p}: cannot remove '{path}': {}", e.message());
        false
    } else {
        true
    }
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "rm");
    let (mut recursive, mut force, mut dir_ok) = (false, false, false);
    let mut files = Vec::new();
    let mut opts_done = false;
    for a in &args[1..] {
        if !opts_done && a == "--" {
            opts_done = true;
        } else if !opts_done && a.starts_with('-') && a.len() > 1 {
            for c in a[1..].chars() {
                match c {
                    'r' | 'R' => recursive = true,
                    'f' => force = true,
                    'd' => dir_ok = true,
                    _ => return bad_option(&p, &format!("-{c}"), 1),
                }
            }
        } else {
            files.push(a.clone());
        }
    }
    if files.is_empty() {
        if force {
            return 0;
        }
        return missing_operand(&p);
    }
    let mut ok = true;
    for f in files {
        let base = f.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if base == "." || base == ".." {
            ueprintln!("{p}: refusing to remove '.' or '..' directory: skipping '{f}'");
            ok = false;
            continue;
        }
        ok &= remove(&p, &f, recursive, dir_ok, force);
    }
    i32::from(!ok)
}
