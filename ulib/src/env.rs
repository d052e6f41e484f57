//! The environment of the current program (`environ`): set from the
//! initial stack at program entry, inherited by fork children, passed to
//! execve by whoever builds the new environment.
//!
//! Invariant: per thread (a usk process is a host thread); names are
//! unique, kept in insertion order.

use std::cell::RefCell;

thread_local! {
    static ENV: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// The value of `name`.
pub fn get(name: &str) -> Option<String> {
    ENV.with(|e| {
        e.borrow()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
}

/// Set `name` to `value` (replacing any previous value).
pub fn set(name: &str, value: &str) {
    ENV.with(|e| {
        let mut e = e.borrow_mut();
        match e.iter_mut().find(|(k, _)| k == name) {
            Some(kv) => kv.1 = value.to_string(),
            None => e.push((name.to_string(), value.to_string())),
        }
    })
}

/// Remove `name`.
pub fn remove(name: &str) {
    ENV.with(|e| e.borrow_mut().retain(|(k, _)| k != name))
}

/// All variables.
pub fn vars() -> Vec<(String, String)> {
    snapshot()
}

/// The environment as execve wants it: `NAME=value` strings.
pub fn envp() -> Vec<String> {
    ENV.with(|e| e.borrow().iter().map(|(k, v)| format!("{k}={v}")).collect())
}

/// Replace the whole environment with `NAME=value` strings (entries without
/// `=` are kept with an empty value; later duplicates win).
pub fn set_from_envp<S: AsRef<str>>(envp: &[S]) {
    ENV.with(|e| e.borrow_mut().clear());
    for s in envp {
        let s = s.as_ref();
        match s.split_once('=') {
            Some((k, v)) => set(k, v),
            None => set(s, ""),
        }
    }
}

/// A copy of the environment (for a fork child).
pub fn snapshot() -> Vec<(String, String)> {
    ENV.with(|e| e.borrow().clone())
}

/// Install a copied environment.
pub fn restore(v: Vec<(String, String)>) {
    ENV.with(|e| *e.borrow_mut() = v)
}
