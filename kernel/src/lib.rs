//! usk: a Linux-style kernel that runs as an ordinary process.
//!
//! The crate is laid out like Linux: `init/` boots, `kernel/` holds the
//! scheduler, locking, interrupts, softirqs, time and workqueues, `fs/` the
//! VFS (ramfs root, pipes, procfs, descriptor tables) and seq_file,
//! `drivers/` the memory devices and the tty layer, `arch/x86` the system-call
//! entry and table, and `kernel/{fork,exit,signal,sys}.rs` the processes. The simulated machine (clock, timers,
//! interrupt controller, memory) is the separate `hw` crate.
//!
//! Execution model (see `kernel/sched/core.rs` for the details): every
//! simulated CPU is a *slot*; a task runs kernel code only while it holds a
//! slot, and every task is backed by a host thread whose stack is the task's
//! kernel stack. Blocking hands the slot to the next runnable task of that
//! CPU. Interrupts are delivered at interrupt points; preemption happens at
//! preemption points only, as in a non-preemptible (`CONFIG_PREEMPT_NONE`)
//! Linux kernel, which is what lets an RCU read-side section cost nothing.

pub mod alloc;
pub mod arch;
pub mod drivers;
pub mod events;
pub mod fs;
pub mod init;
#[allow(clippy::module_inception)]
pub mod kernel;
#[path = "lib/mod.rs"]
pub mod lib;
pub mod mm;
pub mod testing;
pub mod trace;

pub use init::kernel::{kernel, BootConfig, Kernel, KernelRef};
pub use kernel::sched::current::current;
pub use kernel::smp::{nr_cpu_ids, smp_processor_id};
