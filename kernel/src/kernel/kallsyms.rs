//! `/proc/kallsyms`: the symbol table of the running image (Linux's
//! kernel/kallsyms.c), what perf reads to name the addresses of a call
//! chain.
//!
//! usk's kernel and its applets are one host executable, so the table is
//! the executable's ELF symbol table: every function symbol with a size,
//! relocated by the load bias, its Rust name demangled and shortened the
//! way a kernel symbol reads (`kernel::mm::slab::kmalloc` → `kmalloc`,
//! see `mm::stackdepot::short_symbol`). Lines are Linux's
//! `address type name`, sorted by address; spaces are squeezed out of
//! names (`{{closure}}` markers keep none), so every line has three fields.
//!
//! Invariants: the table is read once per host process and never changes;
//! an executable whose table cannot be read gives an empty file (perf then
//! prints raw addresses, as with `kptr_restrict`).

use crate::init::kernel::Kernel;
use std::fmt::Write;
use std::sync::OnceLock;

/// One text symbol: start address, size, short demangled name.
pub struct KSym {
    pub addr: usize,
    pub size: usize,
    pub name: String,
}

/// The symbol table, sorted by address.
pub fn symbols() -> &'static [KSym] {
    static SYMS: OnceLock<Vec<KSym>> = OnceLock::new();
    SYMS.get_or_init(|| load().unwrap_or_default())
}

fn load() -> Option<Vec<KSym>> {
    use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};
    let exe_path = std::fs::read_link("/proc/self/exe").ok()?;
    let exe = std::fs::read(&exe_path).ok()?;
    let file = object::File::parse(&*exe).ok()?;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let start = maps.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() >= 6
            && f[2].trim_start_matches('0').is_empty()
            && std::path::Path::new(f[5]) == exe_path
        {
            usize::from_str_radix(f[0].split('-').next()?, 16).ok()
        } else {
            None
        }
    })?;
    let lowest = file.segments().map(|s| s.address()).min()? as usize & !0xfff;
    let bias = start.checked_sub(lowest)?;
    let mut v: Vec<KSym> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.size() > 0)
        .filter_map(|s| {
            let raw = s.name().ok()?;
            let name = crate::mm::stackdepot::short_symbol(&format!(
                "{:#}",
                rustc_demangle::demangle(raw)
            ));
            Some(KSym {
                addr: s.address() as usize + bias,
                size: s.size() as usize,
                name: name.replace(' ', ""),
            })
        })
        .collect();
    v.sort_by_key(|s| s.addr);
    v.dedup_by_key(|s| s.addr);
    Some(v)
}

/// `kallsyms_lookup()`: the symbol containing `addr`.
pub fn lookup(addr: usize) -> Option<&'static KSym> {
    let s = symbols();
    let i = s.partition_point(|k| k.addr <= addr).checked_sub(1)?;
    (addr < s[i].addr + s[i].size).then(|| &s[i])
}

/// `%pS`: `name+0xoff/0xsize`, or the raw address when no symbol holds it.
pub fn sprint_symbol(addr: usize) -> String {
    match lookup(addr) {
        Some(k) => format!("{}+{:#x}/{:#x}", k.name, addr - k.addr, k.size),
        None => format!("{addr:#x}"),
    }
}

/// `%ps`: the bare symbol name, or the raw address.
pub fn sprint_symbol_no_offset(addr: usize) -> String {
    lookup(addr).map_or_else(|| format!("{addr:#x}"), |k| k.name.clone())
}

fn show_kallsyms(m: &mut crate::fs::seq_file::SeqFile) -> std::fmt::Result {
    let mut s = String::with_capacity(symbols().len() * 48);
    for k in symbols() {
        let _ = writeln!(s, "{:016x} T {}", k.addr, k.name);
    }
    m.puts(&s);
    Ok(())
}

/// `kallsyms_init()`: create `/proc/kallsyms`.
pub(crate) fn kallsyms_init(k: &Kernel) {
    k.procfs
        .create_single("kallsyms", 0o444, show_kallsyms)
        .expect("fresh procfs");
}
