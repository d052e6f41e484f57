//! x86-64 inline static-call sites (Linux's `arch/x86/kernel/static_call.c`
//! with `CONFIG_HAVE_STATIC_CALL_INLINE`): the code side of
//! `static_call_cond()`.
//!
//! `arch_static_call_cond!(KEY, func)` emits, in place, a 5-byte NOP
//! (`0f 1f 44 00 00`) and records a `struct static_call_site` in the
//! `__static_call_sites` section: where the NOP is, the function it calls
//! when on, and its key — three offsets relative to the entry's own fields,
//! as Linux lays out its relative tables. While the key is off the site
//! costs that NOP and nothing else: no load, no test, no branch for the
//! compiler to lay out. Turning the key on rewrites each NOP into
//! `call func` (`arch_static_call_transform`, through `text_poke_batch`).
//! To the compiler a site is a call that may happen: it clobbers the
//! caller-saved registers (`clobber_abi("C")`) and memory, and keeps the
//! stack aligned for a call, with no red zone below it.
//!
//! Invariants: every site is 2-byte aligned (so its first two bytes can be
//! stored atomically by `text_poke`) and is always either the NOP or a call
//! of its own function; the table holds one all-zero sentinel entry (key
//! offset 0), emitted by `site_table()` so that the section and its
//! `__start_`/`__stop_` symbols exist in every binary, and skipped by
//! `static_call_sites()`. Entries are `R` (SHF_GNU_RETAIN): the linker
//! keeps them, and the code they point into, under `--gc-sections`.

use super::text_poke::{text_poke_batch, Poke};
use std::io;

/// A 5-byte NOP, `nopl 0x0(%rax,%rax,1)`: the site while its key is off.
pub const STATIC_CALL_NOP: [u8; CALL_INSN_SIZE] = [0x0f, 0x1f, 0x44, 0x00, 0x00];
/// `CALL_INSN_SIZE`: a site is as long as `call rel32`.
pub const CALL_INSN_SIZE: usize = 5;
/// `call rel32`.
const CALL_INSN_OPCODE: u8 = 0xe8;

/// The x86 body of `static_call_cond!`: a site that calls `$func` (an
/// `extern "C" fn()` that must not unwind) while `$key` (the path of a
/// `static StaticCall`) is on, and does nothing otherwise.
#[macro_export]
#[doc(hidden)]
macro_rules! arch_static_call_cond {
    ($key:path, $func:path) => {{
        const _: extern "C" fn() = $func;
        // SAFETY: the site is a NOP or a call of `$func`, which takes no
        // arguments, follows the C ABI (whose clobbers are declared) and
        // does not unwind; the stack is aligned for it (no `nostack`).
        unsafe {
            ::core::arch::asm!(
                ".balign 2",
                "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
                ".pushsection __static_call_sites, \"awR\"",
                ".balign 8",
                ".long 2b - .",
                ".long {func} - .",
                ".quad {key} - .",
                ".popsection",
                func = sym $func,
                key = sym $key,
                clobber_abi("C"),
            );
        }
    }};
}

/// `struct static_call_site` with relative offsets, as the asm above lays
/// it out.
#[repr(C)]
pub struct StaticCallSite {
    addr: i32,
    func: i32,
    key: i64,
}

impl StaticCallSite {
    fn field(&self, offset: usize, rel: i64) -> usize {
        (self as *const Self as usize + offset).wrapping_add_signed(rel as isize)
    }

    /// `static_call_addr()`: address of the site.
    pub fn addr(&self) -> usize {
        self.field(0, self.addr as i64)
    }

    /// The function the site calls when on.
    pub fn func(&self) -> usize {
        self.field(4, self.func as i64)
    }

    /// `static_call_key()`: address of the key the site belongs to.
    pub fn key(&self) -> usize {
        self.field(8, self.key)
    }
}

/// The whole `__static_call_sites` table of this binary, sentinel included.
fn site_table() -> &'static [StaticCallSite] {
    let start: *const StaticCallSite;
    let stop: *const StaticCallSite;
    // SAFETY: the linker defines `__start___static_call_sites` and
    // `__stop___static_call_sites` around the section, which the sentinel
    // entry below makes non-empty in every binary that contains this
    // function; it holds only 16-byte, 8-aligned `StaticCallSite` records
    // and is never freed.
    unsafe {
        ::core::arch::asm!(
            ".pushsection __static_call_sites, \"awR\"",
            ".balign 8",
            ".quad 0, 0",
            ".popsection",
            "lea {start}, [rip + __start___static_call_sites]",
            "lea {stop}, [rip + __stop___static_call_sites]",
            start = out(reg) start,
            stop = out(reg) stop,
            options(nostack, nomem, pure, preserves_flags),
        );
        std::slice::from_raw_parts(start, stop.offset_from(start) as usize)
    }
}

/// Every real site (the sentinel left out).
pub fn static_call_sites() -> impl Iterator<Item = &'static StaticCallSite> {
    site_table().iter().filter(|e| e.key != 0)
}

/// `arch_static_call_transform()` for a batch: make every site of `sites`
/// a call of its function (`on`) or the NOP. Sites already in that state
/// are left alone.
pub fn arch_static_call_transform<'a>(
    sites: impl Iterator<Item = &'a StaticCallSite>,
    on: bool,
) -> io::Result<()> {
    let pokes: Vec<Poke> = sites
        .map(|s| {
            let addr = s.addr();
            let new = if on {
                let rel = s.func() as i64 - (addr + CALL_INSN_SIZE) as i64;
                let rel = i32::try_from(rel).expect("static call target within ±2 GiB");
                let r = rel.to_le_bytes();
                [CALL_INSN_OPCODE, r[0], r[1], r[2], r[3]]
            } else {
                STATIC_CALL_NOP
            };
            Poke { addr, new }
        })
        .collect();
    text_poke_batch(&pokes)
}
