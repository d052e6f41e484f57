//! The stack depot: Linux's lib/stackdepot.c.
//!
//! Mechanism: call chains are stored once. A chain is hashed; a hash table
//! of buckets maps the hash to the chains already stored, and a new chain is
//! appended to the pool and given a small integer handle. Callers such as
//! page_owner keep only the 4-byte handle per page, which is what makes
//! recording the allocating chain of *every* page affordable (seed 003
//! notes the original patch was "a major memory consumer in its own right").
//! Lookups take a shared lock; only an unseen chain takes the exclusive one.
//! Symbol names are resolved lazily, when a chain is printed, and cached.
//!
//! Invariants: handle 0 means "no stack"; handle h ≥ 1 names pool entry
//! h − 1 forever (entries are never removed, as in Linux); equal chains
//! always get equal handles.

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// `depot_stack_handle_t`.
pub type DepotStackHandle = u32;

#[derive(Default)]
struct Pool {
    buckets: HashMap<u64, Vec<DepotStackHandle>, BuildHasherDefault<StackHashHasher>>,
    stacks: Vec<Arc<[usize]>>,
}

/// The depot.
pub struct StackDepot {
    /// Unique per depot in this process (keys per-thread caches of handles).
    pub id: u64,
    pool: RwLock<Pool>,
    /// Function start of every return address seen in a stored stack.
    starts: Mutex<HashMap<usize, usize>>,
    symbols: Mutex<HashMap<usize, Option<String>>>,
}

impl Default for StackDepot {
    fn default() -> Self {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        StackDepot {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            pool: RwLock::default(),
            starts: Mutex::default(),
            symbols: Mutex::default(),
        }
    }
}

/// A fast multiplicative hash of the return addresses (the depot's keys
/// are not attacker-chosen, so no SipHash is needed; Linux uses jhash2).
/// The bucket map's keys are already [`hash_stack`] values: hash them to
/// themselves instead of running SipHash over them again.
#[derive(Default)]
struct StackHashHasher(u64);

impl Hasher for StackHashHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

fn hash_stack(entries: &[usize]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ entries.len() as u64;
    for &e in entries {
        h = (h.rotate_left(5) ^ e as u64).wrapping_mul(0x5851_f42d_4c95_7f2d);
    }
    h
}

impl StackDepot {
    /// Records the function start of return addresses (`(ip, start)`
    /// pairs) so that frames print as `function+offset`.
    pub fn record_starts(&self, pairs: &[(usize, usize)]) {
        let mut s = self.starts.lock();
        for &(ip, st) in pairs {
            if st != 0 && st <= ip {
                s.insert(ip, st);
            }
        }
    }

    /// `stack_depot_save()`.
    pub fn save(&self, entries: &[usize]) -> DepotStackHandle {
        self.save_new(entries).0
    }

    /// `stack_depot_save()`, also telling whether the chain was new.
    pub fn save_new(&self, entries: &[usize]) -> (DepotStackHandle, bool) {
        if entries.is_empty() {
            return (0, false);
        }
        let h = hash_stack(entries);
        {
            let p = self.pool.read();
            if let Some(b) = p.buckets.get(&h) {
                for &hd in b {
                    if &*p.stacks[hd as usize - 1] == entries {
                        return (hd, false);
                    }
                }
            }
        }
        let mut p = self.pool.write();
        if let Some(b) = p.buckets.get(&h) {
            for &hd in b {
                if &*p.stacks[hd as usize - 1] == entries {
                    return (hd, false);
                }
            }
        }
        p.stacks.push(entries.into());
        let hd = p.stacks.len() as DepotStackHandle;
        p.buckets.entry(h).or_default().push(hd);
        (hd, true)
    }

    /// `stack_depot_fetch()`.
    pub fn fetch(&self, handle: DepotStackHandle) -> Option<Arc<[usize]>> {
        let p = self.pool.read();
        p.stacks.get((handle as usize).checked_sub(1)?).cloned()
    }

    /// Number of unique stacks stored.
    pub fn len(&self) -> usize {
        self.pool.read().stacks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn resolve(&self, ip: usize) -> Option<(String, Option<usize>)> {
        let off = self.starts.lock().get(&ip).map(|&s| ip - s);
        if let Some(r) = self.symbols.lock().get(&ip) {
            return r.clone().map(|n| (n, off));
        }
        let mut out = None;
        // look up ip-1: a return address may already be past the function
        // the last symbol reported is the real (outermost) function; the
        // earlier ones are inlined into it — kallsyms, too, only knows the
        // real function
        backtrace::resolve(ip.wrapping_sub(1) as *mut std::ffi::c_void, |sym| {
            if let Some(n) = sym.name() {
                out = Some(short_symbol(&format!("{n:#}")));
            }
        });
        self.symbols.lock().insert(ip, out.clone());
        out.map(|n| (n, off))
    }

    /// `stack_depot_snprint(handle, buf, size, 0)`: one `" %pS\n"` line per
    /// frame, `function+0xoffset/0xsize` as kallsyms prints it (the size
    /// comes from the executable's ELF symbol table; a frame in a shared
    /// library, whose table is not read, prints without it); frames of the
    /// capture machinery itself are left out.
    pub fn snprint(&self, handle: DepotStackHandle) -> String {
        let Some(st) = self.fetch(handle) else {
            return String::new();
        };
        let mut s = String::new();
        for &ip in st.iter() {
            if ip == 0 {
                continue;
            }
            match self.resolve(ip) {
                Some((name, off)) => {
                    if is_capture_frame(&name) {
                        continue;
                    }
                    match off {
                        Some(off) => match function_sizes().get(&(ip - off)) {
                            Some(size) => s.push_str(&format!(" {name}+{off:#x}/{size:#x}\n")),
                            None => s.push_str(&format!(" {name}+{off:#x}\n")),
                        },
                        None => s.push_str(&format!(" {name}\n")),
                    }
                }
                None => s.push_str(&format!(" {ip:#x}\n")),
            }
        }
        s
    }
}

/// Function sizes from the running executable's ELF symbol table, keyed by
/// runtime start address — what kallsyms provides for `%pS`'s `/0xsize`.
/// Read once, on the first print; empty if the table cannot be read.
fn function_sizes() -> &'static HashMap<usize, usize> {
    static SIZES: std::sync::OnceLock<HashMap<usize, usize>> = std::sync::OnceLock::new();
    SIZES.get_or_init(|| load_function_sizes().unwrap_or_default())
}

fn load_function_sizes() -> Option<HashMap<usize, usize>> {
    let syms = crate::kernel::kallsyms::symbols();
    (!syms.is_empty()).then(|| syms.iter().map(|k| (k.addr, k.size)).collect())
}

fn is_capture_frame(name: &str) -> bool {
    name.starts_with("backtrace")
        || name == "save_stack"
        || name == "set_page_owner"
        || name == "trace"
        || name.starts_with("trace_")
}

/// A demangled Rust path, shortened the way a kernel symbol reads:
/// `kernel::mm::page_alloc::<impl kernel::mm::Mm>::__alloc_pages` →
/// `__alloc_pages`; closures keep their parent (`run::{{closure}}`).
pub fn short_symbol(full: &str) -> String {
    let s = full.trim();
    // strip a trailing ::h0123456789abcdef hash
    let s = match s.rfind("::h") {
        Some(i) if s.len() - i == 19 && s[i + 3..].chars().all(|c| c.is_ascii_hexdigit()) => {
            &s[..i]
        }
        _ => s,
    };
    // split on :: outside <...>
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '<' => depth += 1,
            '>' if i > 0 && b[i - 1] == '-' => {}
            '>' => depth -= 1,
            ':' if depth == 0 && i + 1 < b.len() && b[i + 1] == ':' => {
                parts.push(std::mem::take(&mut cur));
                i += 2;
                continue;
            }
            _ => {}
        }
        cur.push(b[i]);
        i += 1;
    }
    parts.push(cur);
    // drop `<impl …>` segments and generic arguments
    let parts: Vec<String> = parts
        .iter()
        .filter(|p| !p.starts_with('<'))
        .map(|p| match p.find('<') {
            Some(i) if i > 0 => p[..i].to_string(),
            _ => p.clone(),
        })
        .collect();
    let is_closure = |p: &str| p.starts_with("{{closure") || p.starts_with("{closure");
    match parts.as_slice() {
        [] => s.to_string(),
        [.., a, b] if is_closure(b) && !is_closure(a) => format!("{a}::{b}"),
        [.., a, b, c] if is_closure(b) && is_closure(c) => format!("{a}::{b}::{c}"),
        [.., b] => b.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_and_fetch() {
        let d = StackDepot::default();
        let a = d.save(&[1, 2, 3]);
        let b = d.save(&[1, 2, 4]);
        let c = d.save(&[1, 2, 3]);
        assert_eq!(a, c);
        assert_ne!(a, b);
        assert_eq!(d.save(&[]), 0);
        assert_eq!(&*d.fetch(b).unwrap(), &[1, 2, 4]);
        assert!(d.fetch(0).is_none());
        assert!(d.fetch(99).is_none());
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn symbols() {
        assert_eq!(
            short_symbol(
                "kernel::mm::page_alloc::<impl kernel::mm::Mm>::__alloc_pages::h0123456789abcdef"
            ),
            "__alloc_pages"
        );
        assert_eq!(
            short_symbol("usk::exp::run::{{closure}}"),
            "run::{{closure}}"
        );
        assert_eq!(short_symbol("main"), "main");
        assert_eq!(
            short_symbol(
                "<fn() -> core::result::Result<(), String> as core::ops::FnOnce<()>>::call_once"
            ),
            "call_once"
        );
        assert_eq!(
            short_symbol("core::iter::from_iter<usize, a::b<c>>"),
            "from_iter"
        );
        assert_eq!(
            short_symbol("usk::tests::other_pages::{closure#0}"),
            "other_pages::{closure#0}"
        );
    }
}
