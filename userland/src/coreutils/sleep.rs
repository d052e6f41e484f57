//! `sleep NUMBER[smhd]...`: nanosleep for the sum; fractions allowed.

use ulib::uapi::stat::Timespec;
use ulib::ueprintln;

/// Seconds in `0.5`, `2m`, `1h`, `1d`.
pub fn parse_duration(s: &str) -> Option<f64> {
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1.0),
        'm' => (&s[..s.len() - 1], 60.0),
        'h' => (&s[..s.len() - 1], 3600.0),
        'd' => (&s[..s.len() - 1], 86400.0),
        _ => (s, 1.0),
    };
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v: f64 = num.parse().ok()?;
    (v >= 0.0).then_some(v * mult)
}

pub fn main(args: &[String]) -> i32 {
    if args.len() < 2 {
        return super::missing_operand("sleep");
    }
    let mut total = 0.0;
    for a in &args[1..] {
        match parse_duration(a) {
            Some(v) => total += v,
            None => {
                ueprintln!("sleep: invalid time interval '{a}'");
                ueprintln!("Try 'sleep --help' for more information.");
                return 1;
            }
        }
    }
    let mut req = Timespec {
        tv_sec: total.trunc() as i64,
        tv_nsec: (total.fract() * 1e9) as i64,
    };
    loop {
        match ulib::nanosleep(&req) {
            Ok(()) => return 0,
            Err((e, rem)) if e == ulib::errno::EINTR => req = rem,
            Err((e, _)) => {
                ueprintln!("sleep: {}", e.message());
                return 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5"), Some(1.5));
        assert_eq!(parse_duration("2m"), Some(120.0));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("-1"), None);
    }
}
