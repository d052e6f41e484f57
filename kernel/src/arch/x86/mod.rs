//! x86-64: the system-call entry and table, and syscall tracing.

pub mod entry;
pub mod strace;
pub mod syscall_64;
