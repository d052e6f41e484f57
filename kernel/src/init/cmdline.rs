//! The kernel command line: `name` and `name=value` words, split like
//! Linux's `parse_args` (double quotes group words with spaces), read by
//! subsystems with [`Cmdline::get`]/[`Cmdline::has`].

#[derive(Clone, Debug, Default)]
pub struct Cmdline {
    raw: String,
    params: Vec<(String, Option<String>)>,
}

impl Cmdline {
    pub fn parse(raw: &str) -> Self {
        let mut params = Vec::new();
        let mut word = String::new();
        let mut in_quote = false;
        let mut push = |w: &mut String| {
            if !w.is_empty() {
                let w2 = std::mem::take(w);
                match w2.split_once('=') {
                    Some((k, v)) => {
                        params.push((k.to_string(), Some(v.trim_matches('"').to_string())))
                    }
                    None => params.push((w2, None)),
                }
            }
        };
        for ch in raw.chars() {
            match ch {
                '"' => in_quote = !in_quote,
                c if c.is_whitespace() && !in_quote => push(&mut word),
                c => word.push(c),
            }
        }
        push(&mut word);
        Cmdline {
            raw: raw.trim().to_string(),
            params,
        }
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The value of the last `name=value` (as Linux, later words win).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Whether `name` appears, with or without a value.
    pub fn has(&self, name: &str) -> bool {
        self.params.iter().any(|(k, _)| k == name)
    }

    pub fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_values_and_quotes() {
        let c = Cmdline::parse(r#"quiet loglevel=3 page_owner=on init="/bin/sh -x" loglevel=5"#);
        assert!(c.has("quiet"));
        assert_eq!(c.get("loglevel"), Some("5"));
        assert_eq!(c.get("init"), Some("/bin/sh -x"));
        assert_eq!(c.get("quiet"), None);
        assert!(!c.has("nohz"));
    }
}
