//! x86-64: the system-call entry and table, syscall tracing, and the
//! patchable call sites behind static calls (with the text patching they
//! need).

pub mod entry;
#[cfg(target_arch = "x86_64")]
pub mod static_call;
pub mod strace;
pub mod syscall_64;
#[cfg(target_arch = "x86_64")]
pub mod text_poke;
