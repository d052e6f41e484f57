//! The `test` / `[` builtin (POSIX, as bash's builtin): `! EXPR`, one
//! argument (non-empty), unary file and string tests (`-e -f -d -c -p -s
//! -r -w -x -n -z`), binary `= != == -eq -ne -lt -le -gt -ge`, and `-a`/`-o`
//! joining such terms. Status 0 true, 1 false, 2 on a malformed expression.

use ulib::uapi::fcntl::*;

fn unary(op: &str, arg: &str) -> Option<bool> {
    let st = || ulib::stat(arg).ok();
    Some(match op {
        "-n" => !arg.is_empty(),
        "-z" => arg.is_empty(),
        "-e" => st().is_some(),
        "-f" => st().is_some_and(|s| s_isreg(s.st_mode)),
        "-d" => st().is_some_and(|s| s_isdir(s.st_mode)),
        "-c" => st().is_some_and(|s| s_ischr(s.st_mode)),
        "-p" => st().is_some_and(|s| s_isfifo(s.st_mode)),
        "-s" => st().is_some_and(|s| s.st_size > 0),
        // Root may read and write anything; -x needs some x bit.
        "-r" | "-w" => st().is_some(),
        "-x" => st().is_some_and(|s| s.st_mode & 0o111 != 0 || s_isdir(s.st_mode)),
        _ => return None,
    })
}

fn binary(a: &str, op: &str, b: &str) -> Result<Option<bool>, String> {
    let num = |s: &str| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("{s}: integer expression expected"))
    };
    Ok(Some(match op {
        "=" | "==" => a == b,
        "!=" => a != b,
        "-eq" => num(a)? == num(b)?,
        "-ne" => num(a)? != num(b)?,
        "-lt" => num(a)? < num(b)?,
        "-le" => num(a)? <= num(b)?,
        "-gt" => num(a)? > num(b)?,
        "-ge" => num(a)? >= num(b)?,
        _ => return Ok(None),
    }))
}

/// One term without -a/-o.
fn term(args: &[&str]) -> Result<bool, String> {
    match args {
        [] => Ok(false),
        ["!", rest @ ..] => term(rest).map(|v| !v),
        [a] => Ok(!a.is_empty()),
        [op, a] => unary(op, a).ok_or_else(|| format!("{op}: unary operator expected")),
        [a, op, b] => binary(a, op, b)?.ok_or_else(|| format!("{op}: binary operator expected")),
        _ => Err("too many arguments".into()),
    }
}

/// Evaluate `args` (without the closing `]`).
pub fn eval(args: &[&str]) -> Result<bool, String> {
    if let Some(i) = args.iter().rposition(|a| *a == "-o") {
        if i > 0 {
            return Ok(eval(&args[..i])? || eval(&args[i + 1..])?);
        }
    }
    if let Some(i) = args.iter().rposition(|a| *a == "-a") {
        if i > 0 && i + 1 < args.len() {
            return Ok(eval(&args[..i])? && eval(&args[i + 1..])?);
        }
    }
    term(args)
}

/// The builtin: `argv[0]` is `test` or `[`.
pub fn main(name: &str, argv: &[String]) -> i32 {
    let mut args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    if argv[0] == "[" {
        if args.last() != Some(&"]") {
            ulib::ueprintln!("{name}: [: missing `]'");
            return 2;
        }
        args.pop();
    }
    match eval(&args) {
        Ok(v) => i32::from(!v),
        Err(e) => {
            ulib::ueprintln!("{name}: {}: {e}", argv[0]);
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::eval;

    #[test]
    fn expressions() {
        assert_eq!(eval(&["a", "=", "a"]), Ok(true));
        assert_eq!(eval(&["1", "-lt", "2", "-a", "x", "!=", "x"]), Ok(false));
        assert_eq!(eval(&["-z", ""]), Ok(true));
        assert_eq!(eval(&["!", "-n", ""]), Ok(true));
        assert_eq!(eval(&[""]), Ok(false));
        assert_eq!(eval(&["-d", "/"]), Ok(true));
        assert_eq!(eval(&["-f", "/nonexistent"]), Ok(false));
        assert_eq!(eval(&["3", "-ge", "3", "-o", "-q", "x"]), Ok(true));
        assert!(eval(&["x", "-eq", "1"]).is_err());
        assert!(eval(&["-q", "x"]).is_err());
    }
}
