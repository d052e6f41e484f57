//! x86-64 inline static-call sites (Linux's `arch/x86/kernel/static_call.c`
//! with `CONFIG_HAVE_STATIC_CALL_INLINE`): the code side of
//! `static_call_cond()`.
//!
//! `arch_static_call_cond!(KEY, func)` emits, in place, a 5-byte NOP
//! (`0f 1f 44 00 00`) and records a `struct static_call_site` in the
//! `__static_call_sites` section: where the NOP is, the function it calls
//! when on, and its key — three offsets relative to the entry's own fields,
//! as Linux lays out its relative tables. While the key is off the site
//! executes that NOP (plus, half the time, a 1-byte NOP from `.balign 2`):
//! no load, no test, no branch for the compiler to lay out. Turning the key
//! on rewrites each NOP into `call func` (`arch_static_call_transform`,
//! through `text_poke_batch`). A site calls its function through a thunk
//! (`static_call_thunk!`) that saves and restores every caller-saved
//! register, so to the compiler a site clobbers no register; it does
//! clobber memory (a compiler barrier, like Linux's `barrier()` in
//! `rcu_read_lock()`), and it keeps the stack aligned for a call with no
//! red zone below it.
//!
//! The thunk saves the SSE state (`xmm0`–`xmm15`), which is all the state
//! a baseline x86-64 build keeps in registers; a build with AVX enabled
//! (e.g. `-C target-cpu=native`) could keep values in the upper halves of
//! `ymm` registers across a site, which the called code may clobber, so
//! such builds are refused below.
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

#[cfg(target_feature = "avx")]
compile_error!(
    "static_call_thunk! preserves xmm0-15 only, and this build enables AVX \
     (ymm state the thunk would not save): build usk for baseline x86-64, \
     without -C target-cpu=native or x86-64-v3/v4"
);

/// A 5-byte NOP, `nopl 0x0(%rax,%rax,1)`: the site while its key is off.
pub const STATIC_CALL_NOP: [u8; CALL_INSN_SIZE] = [0x0f, 0x1f, 0x44, 0x00, 0x00];
/// `CALL_INSN_SIZE`: a site is as long as `call rel32`.
pub const CALL_INSN_SIZE: usize = 5;
/// `call rel32`.
const CALL_INSN_OPCODE: u8 = 0xe8;

/// The x86 body of `static_call_cond!`: a site that calls `$func`'s thunk
/// (see [`static_call_thunk!`](crate::static_call_thunk)) while `$key`
/// (the path of a `static StaticCall`) is on, and does nothing otherwise.
#[macro_export]
#[doc(hidden)]
macro_rules! arch_static_call_cond {
    ($key:path, $func:ident) => {{
        // SAFETY: the site is a NOP or a call of `$func`'s thunk, which
        // preserves every register and the stack above the return address
        // (no red zone is in use: no `nostack`); it may read and write
        // memory, as the asm's default memory clobber says.
        unsafe {
            ::core::arch::asm!(
                ".balign 2",
                "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
                ".pushsection __static_call_sites, \"awR\"",
                ".balign 8",
                ".long 2b - .",
                concat!(".long __static_call_thunk_", stringify!($func), " - ."),
                ".quad {key} - .",
                ".popsection",
                key = sym $key,
            );
        }
    }};
}

/// Define the thunk that `static_call_cond!(KEY, $func)` sites call: it
/// saves every caller-saved register (the nine general-purpose ones and
/// `xmm0`–`xmm15`), calls `$func` (an `extern "C" fn()` that must not
/// unwind) with the stack aligned, and restores them — Linux's
/// `preempt_schedule_thunk` pattern, so that a site clobbers no register.
/// It keeps a frame-pointer frame (and its CFI) for stack walkers.
#[macro_export]
macro_rules! static_call_thunk {
    ($func:ident) => {
        const _: extern "C" fn() = $func;
        ::core::arch::global_asm!(
            concat!(".pushsection .text.__static_call_thunk_", stringify!($func), ",\"ax\",@progbits"),
            concat!(".globl __static_call_thunk_", stringify!($func)),
            concat!(".hidden __static_call_thunk_", stringify!($func)),
            concat!(".type __static_call_thunk_", stringify!($func), ",@function"),
            ".p2align 4",
            concat!("__static_call_thunk_", stringify!($func), ":"),
            ".cfi_startproc",
            "push rbp",
            ".cfi_def_cfa_offset 16",
            ".cfi_offset rbp, -16",
            "mov rbp, rsp",
            ".cfi_def_cfa_register rbp",
            "push rax", "push rcx", "push rdx", "push rsi", "push rdi",
            "push r8", "push r9", "push r10", "push r11",
            // 9 pushes left rsp 8 off 16-byte alignment: 16 xmm + 8
            "sub rsp, 264",
            "movaps [rsp + 0x00], xmm0", "movaps [rsp + 0x10], xmm1",
            "movaps [rsp + 0x20], xmm2", "movaps [rsp + 0x30], xmm3",
            "movaps [rsp + 0x40], xmm4", "movaps [rsp + 0x50], xmm5",
            "movaps [rsp + 0x60], xmm6", "movaps [rsp + 0x70], xmm7",
            "movaps [rsp + 0x80], xmm8", "movaps [rsp + 0x90], xmm9",
            "movaps [rsp + 0xa0], xmm10", "movaps [rsp + 0xb0], xmm11",
            "movaps [rsp + 0xc0], xmm12", "movaps [rsp + 0xd0], xmm13",
            "movaps [rsp + 0xe0], xmm14", "movaps [rsp + 0xf0], xmm15",
            "call {func}",
            "movaps xmm0, [rsp + 0x00]", "movaps xmm1, [rsp + 0x10]",
            "movaps xmm2, [rsp + 0x20]", "movaps xmm3, [rsp + 0x30]",
            "movaps xmm4, [rsp + 0x40]", "movaps xmm5, [rsp + 0x50]",
            "movaps xmm6, [rsp + 0x60]", "movaps xmm7, [rsp + 0x70]",
            "movaps xmm8, [rsp + 0x80]", "movaps xmm9, [rsp + 0x90]",
            "movaps xmm10, [rsp + 0xa0]", "movaps xmm11, [rsp + 0xb0]",
            "movaps xmm12, [rsp + 0xc0]", "movaps xmm13, [rsp + 0xd0]",
            "movaps xmm14, [rsp + 0xe0]", "movaps xmm15, [rsp + 0xf0]",
            "add rsp, 264",
            "pop r11", "pop r10", "pop r9", "pop r8",
            "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rax",
            "pop rbp",
            ".cfi_def_cfa rsp, 8",
            "ret",
            ".cfi_endproc",
            concat!(".size __static_call_thunk_", stringify!($func), ", . - __static_call_thunk_", stringify!($func)),
            ".popsection",
            func = sym $func,
        );
    };
}

/// `struct static_call_site` with relative offsets, as the asm above lays
/// it out (`func` is the thunk's address).
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

    /// The thunk the site calls when on.
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
