//! `mkdir [-p] [-m MODE] DIR...`: make directories (with -p: parents too,
//! no error if existing).

use super::{bad_option, missing_operand, prog};
use ulib::errno::EEXIST;
use ulib::ueprintln;

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "mkdir");
    let mut parents = false;
    let mut mode = 0o777;
    let mut dirs = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        match a.as_str() {
            "-p" | "--parents" => parents = true,
            "-m" => {
                i += 1;
                match args.get(i).and_then(|m| u32::from_str_radix(m, 8).ok()) {
                    Some(m) => mode = m,
                    None => {
                        ueprintln!("{p}: invalid mode");
                        return 1;
                    }
                }
            }
            o if o.starts_with('-') && o.len() > 1 => return bad_option(&p, o, 1),
            d => dirs.push(d.to_string()),
        }
        i += 1;
    }
    if dirs.is_empty() {
        return missing_operand(&p);
    }
    let mut st = 0;
    for d in dirs {
        let r = if parents {
            let mut cur = String::new();
            let mut r = Ok(());
            for comp in d.split('/') {
                if comp.is_empty() {
                    if cur.is_empty() {
                        cur.push('/');
                    }
                    continue;
                }
                if !cur.is_empty() && !cur.ends_with('/') {
                    cur.push('/');
                }
                cur.push_str(comp);
                match ulib::mkdir(&cur, mode) {
                    Err(e) if e == EEXIST => {}
                    Err(e) => {
                        r = Err(e);
                        break;
                    }
                    Ok(()) => {}
                }
            }
            r
        } else {
            ulib::mkdir(&d, mode)
        };
        if let Err(e) = r {
            ueprintln!("{p}: cannot create directory '{d}': {}", e.message());
            st = 1;
        }
    }
    st
}
