//! `stack_trace_save()`: the return addresses of the current call chain,
//! by walking frame pointers as x86-64 Linux's `unwind_frame()` does with
//! `CONFIG_FRAME_POINTER` (usk is built with `-C force-frame-pointers=yes`,
//! see `.cargo/config.toml`).
//!
//! Each frame starts with the caller's saved `rbp` followed by the return
//! address. The walk starts at a given live frame (`stack_trace_save`
//! passes its own; `stack_trace_save_from` takes the caller's) and follows the
//! chain while it stays on this thread's stack: every frame pointer must be
//! 8-byte aligned, above the current stack pointer, strictly above the
//! previous one, and below the stack's top (from `pthread_getattr_np`,
//! cached per thread). A frame without a frame pointer (the prebuilt
//! standard library) ends the chain there. On other architectures, or
//! when the stack bounds are unknown, the DWARF unwinder of the
//! `backtrace` crate is used instead.

use std::cell::Cell;

thread_local! {
    /// The top (highest address) of this thread's stack, 0 if unknown yet.
    static STACK_TOP: Cell<usize> = const { Cell::new(0) };
}

/// The top of the calling thread's stack.
fn stack_top() -> Option<usize> {
    let cached = STACK_TOP.with(Cell::get);
    if cached != 0 {
        return Some(cached);
    }
    // SAFETY: pthread_getattr_np fills an attribute object we own, which
    // is destroyed before returning; the out-pointers are valid locals.
    let top = unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if r != 0 {
            return None;
        }
        addr as usize + size
    };
    STACK_TOP.with(|c| c.set(top));
    Some(top)
}

/// Fill `out` with return addresses, innermost first; returns how many.
#[inline(never)]
pub fn stack_trace_save(out: &mut [usize]) -> usize {
    stack_trace_save_from(frame_address(), out)
}

/// [`stack_trace_save`] from the frame whose [`frame_address`] is `fp` (a
/// live frame of the calling thread, e.g. the caller's own): the first
/// address is where that frame's function returns to. Starting at the
/// caller's frame skips the hops through the capture machinery's frames.
#[inline(never)]
pub fn stack_trace_save_from(fp: usize, out: &mut [usize]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if let Some(top) = stack_top() {
        let sp: usize;
        // SAFETY: reads a register, no memory access.
        unsafe {
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags));
        }
        let mut fp = fp;
        let mut n = 0;
        while n < out.len() && fp.is_multiple_of(8) && fp >= sp && fp + 16 <= top {
            // SAFETY: [fp, fp + 16) lies between the stack pointer and the
            // top of this thread's stack, which is mapped and ours.
            let (next, ret) = unsafe {
                (
                    (fp as *const usize).read(),
                    ((fp + 8) as *const usize).read(),
                )
            };
            if ret == 0 {
                break;
            }
            out[n] = ret;
            n += 1;
            if next <= fp {
                break;
            }
            fp = next;
        }
        return n;
    }
    let _ = fp;
    let mut n = 0;
    backtrace::trace(|f| {
        if n < out.len() {
            out[n] = f.ip() as usize;
            n += 1;
        }
        n < out.len()
    });
    n
}

/// `__builtin_frame_address(0)`: the frame base of the function this is
/// inlined into (0 where frame pointers are not walked). Reading it costs
/// one register move; pair it with [`return_address`] to get `_RET_IP_`
/// later, e.g. only when a tracepoint is on.
#[inline(always)]
pub fn frame_address() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let fp: usize;
        // SAFETY: reads a register, no memory access.
        unsafe {
            std::arch::asm!("mov {}, rbp", out(reg) fp, options(nomem, nostack, preserves_flags));
        }
        fp
    }
    #[cfg(not(target_arch = "x86_64"))]
    0
}

/// `_RET_IP_` of the still-running function whose [`frame_address`] is
/// `fp`: where it returns to in its caller. 0 when `fp` is not a frame of
/// this thread's stack below the caller's position.
#[inline(never)]
pub fn return_address(fp: usize) -> usize {
    let Some(top) = stack_top() else {
        return 0;
    };
    let here = frame_address();
    if !fp.is_multiple_of(8) || fp < here || fp + 16 > top {
        return 0;
    }
    // SAFETY: [fp, fp + 16) lies between this function's frame and the top
    // of this thread's stack: mapped, ours, and (the frame being live) a
    // saved rbp followed by the return address.
    unsafe { ((fp + 8) as *const usize).read() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn leaf(out: &mut [usize]) -> usize {
        std::hint::black_box(stack_trace_save(out))
    }

    #[inline(never)]
    fn middle(out: &mut [usize]) -> usize {
        std::hint::black_box(leaf(out))
    }

    /// The walk finds the callers the DWARF unwinder finds, in order.
    #[test]
    fn agrees_with_the_unwinder() {
        let mut fp = [0usize; 8];
        let n = middle(&mut fp);
        assert!(n >= 3, "only {n} frames");
        let mut names = Vec::new();
        for &ip in &fp[..3] {
            backtrace::resolve(ip as *mut std::ffi::c_void, |s| {
                names.push(s.name().map(|n| format!("{n:#}")).unwrap_or_default());
            });
        }
        let joined = names.join(" ");
        assert!(
            joined.contains("leaf") && joined.contains("middle"),
            "{joined}"
        );
    }

    #[inline(never)]
    fn callee() -> usize {
        let fp = frame_address();
        std::hint::black_box(return_address(fp))
    }

    /// `_RET_IP_` lands inside the function that made the call.
    #[test]
    fn return_address_is_in_the_caller() {
        let ip = callee();
        let mut name = String::new();
        backtrace::resolve(ip as *mut std::ffi::c_void, |s| {
            name = s.name().map(|n| format!("{n:#}")).unwrap_or_default();
        });
        assert!(
            name.contains("return_address_is_in_the_caller"),
            "{ip:#x} resolves to {name:?}"
        );
        assert_eq!(return_address(8), 0, "not a frame of this stack");
    }
}
