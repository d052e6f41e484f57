//! `rmdir [-p] DIR...`: remove empty directories (with -p: and their
//! parents, as long as they become empty).

use super::{bad_option, missing_operand, prog};
use ulib::ueprintln;

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "rmdir");
    let mut parents = false;
    let mut dirs = Vec::new();
    for a in &args[1..] {
        match a.as_str() {
            "-p" | "--parents" => parents = true,
            o if o.starts_with('-') && o.len() > 1 => return bad_option(&p, o, 1),
            d => dirs.push(d.to_string()),
        }
    }
    if dirs.is_empty() {
        return missing_operand(&p);
    }
    let mut st = 0;
    for d in dirs {
        let mut cur = d.trim_end_matches('/').to_string();
        loop {
            if let Err(e) = ulib::rmdir(&cur) {
                ueprintln!("{p}: failed to remove '{cur}': {}", e.message());
                st = 1;
                break;
            }
            match cur.rsplit_once('/') {
                Some((parent, _)) if parents && !parent.is_empty() => cur = parent.to_string(),
                _ => break,
            }
        }
    }
    st
}
