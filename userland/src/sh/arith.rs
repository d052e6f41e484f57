//! Arithmetic expansion `$((expr))`: C integer expressions on i64 with
//! shell variables (`x` or `$x`; unset or non-numeric is 0), precedence
//! from lowest: `|| && | ^ & (== !=) (< <= > >=) (<< >>) (+ -) (* / %)`,
//! unary `- + ! ~`, parentheses. Division by zero is an error.

/// Evaluate `src`, looking variables up with `var`.
pub fn eval(src: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<i64, String> {
    let toks = lex(src)?;
    let mut p = P { t: toks, i: 0, var };
    let v = p.binary(0)?;
    match p.t.get(p.i) {
        None => Ok(v),
        Some(t) => Err(format!(
            "syntax error in expression (error token is \"{t}\")"
        )),
    }
}

fn lex(s: &str) -> Result<Vec<String>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '$' && c.get(i + 1).is_some_and(|n| "#?$!".contains(*n)) {
            out.push(c[i..i + 2].iter().collect());
            i += 2;
        } else if ch.is_ascii_alphanumeric() || ch == '_' || ch == '$' {
            let start = i;
            i += 1;
            while i < c.len()
                && (c[i].is_ascii_alphanumeric() || c[i] == '_' || c[i] == '{' || c[i] == '}')
            {
                i += 1;
            }
            out.push(c[start..i].iter().collect());
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            if ["||", "&&", "==", "!=", "<=", ">=", "<<", ">>"].contains(&two.as_str()) {
                out.push(two);
                i += 2;
            } else if "+-*/%()<>!~&|^".contains(ch) {
                out.push(ch.to_string());
                i += 1;
            } else {
                return Err(format!(
                    "syntax error: invalid arithmetic operator (error token is \"{ch}\")"
                ));
            }
        }
    }
    Ok(out)
}

struct P<'a> {
    t: Vec<String>,
    i: usize,
    var: &'a dyn Fn(&str) -> Option<String>,
}

const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", "<=", ">", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl P<'_> {
    fn binary(&mut self, level: usize) -> Result<i64, String> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut v = self.binary(level + 1)?;
        while let Some(op) = self
            .t
            .get(self.i)
            .filter(|t| LEVELS[level].contains(&t.as_str()))
            .cloned()
        {
            self.i += 1;
            let r = self.binary(level + 1)?;
            v = match op.as_str() {
                "||" => ((v != 0) || (r != 0)) as i64,
                "&&" => ((v != 0) && (r != 0)) as i64,
                "|" => v | r,
                "^" => v ^ r,
                "&" => v & r,
                "==" => (v == r) as i64,
                "!=" => (v != r) as i64,
                "<" => (v < r) as i64,
                "<=" => (v <= r) as i64,
                ">" => (v > r) as i64,
                ">=" => (v >= r) as i64,
                "<<" => v.wrapping_shl(r as u32),
                ">>" => v.wrapping_shr(r as u32),
                "+" => v.wrapping_add(r),
                "-" => v.wrapping_sub(r),
                "*" => v.wrapping_mul(r),
                _ if r == 0 => return Err("division by 0".into()),
                "/" => v.wrapping_div(r),
                _ => v.wrapping_rem(r),
            };
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<i64, String> {
        let t = self
            .t
            .get(self.i)
            .cloned()
            .ok_or("syntax error: operand expected")?;
        self.i += 1;
        match t.as_str() {
            "-" => Ok(self.unary()?.wrapping_neg()),
            "+" => self.unary(),
            "!" => Ok((self.unary()? == 0) as i64),
            "~" => Ok(!self.unary()?),
            "(" => {
                let v = self.binary(0)?;
                if self.t.get(self.i).map(String::as_str) != Some(")") {
                    return Err("syntax error: `)' expected".into());
                }
                self.i += 1;
                Ok(v)
            }
            n if n.starts_with(|c: char| c.is_ascii_digit()) => number(n),
            n => {
                let name = n
                    .trim_start_matches('$')
                    .trim_start_matches('{')
                    .trim_end_matches('}');
                let v = (self.var)(name).unwrap_or_default();
                Ok(number(v.trim()).unwrap_or(0))
            }
        }
    }
}

fn number(s: &str) -> Result<i64, String> {
    let r = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        i64::from_str_radix(h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        i64::from_str_radix(&s[1..], 8)
    } else {
        s.parse()
    };
    r.map_err(|_| format!("{s}: value too great for base (error token is \"{s}\")"))
}

#[cfg(test)]
mod tests {
    use super::eval;

    fn ev(s: &str) -> Result<i64, String> {
        eval(s, &|n| match n {
            "x" => Some("6".into()),
            "s" => Some("abc".into()),
            _ => None,
        })
    }

    #[test]
    fn expressions() {
        assert_eq!(ev("1 + 2 * 3"), Ok(7));
        assert_eq!(ev("(1 + 2) * 3"), Ok(9));
        assert_eq!(ev("x / 4 + $x % 4 + ${x}"), Ok(9));
        assert_eq!(ev("-x + !0 + ~0"), Ok(-6));
        assert_eq!(ev("x > 5 && x <= 6 || 0"), Ok(1));
        assert_eq!(ev("1 << 4 | 0x0f ^ 010"), Ok(23));
        assert_eq!(ev("unset + s"), Ok(0));
        assert_eq!(ev("7 / 0"), Err("division by 0".into()));
        assert!(ev("1 +").is_err());
        assert!(ev("1 2").is_err());
        assert!(ev("(1").is_err());
    }
}
