//! `id [-u|-g] [-n]`: the user and group ids of the process
//! (`uid=0(root) gid=0(root) groups=0(root)`; only root has a name).

use super::{bad_option, prog};
use ulib::uprintln;

fn name(id: u32) -> Option<&'static str> {
    (id == 0).then_some("root")
}

fn with_name(id: u32) -> String {
    match name(id) {
        Some(n) => format!("{id}({n})"),
        None => id.to_string(),
    }
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "id");
    let (mut u, mut g, mut n) = (false, false, false);
    for a in &args[1..] {
        if !a.starts_with('-') || a.len() < 2 {
            return bad_option(&p, a, 1);
        }
        for c in a[1..].chars() {
            match c {
                'u' => u = true,
                'g' | 'G' => g = true,
                'n' => n = true,
                _ => return bad_option(&p, &format!("-{c}"), 1),
            }
        }
    }
    let (uid, gid) = (ulib::geteuid(), ulib::getegid());
    let one = |id: u32| {
        if n {
            name(id)
                .map(str::to_string)
                .unwrap_or_else(|| id.to_string())
        } else {
            id.to_string()
        }
    };
    if u {
        uprintln!("{}", one(uid));
    } else if g {
        uprintln!("{}", one(gid));
    } else {
        uprintln!(
            "uid={} gid={} groups={}",
            with_name(uid),
            with_name(gid),
            with_name(gid)
        );
    }
    0
}
