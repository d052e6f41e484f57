//! Linux's `kernel/` directory: scheduling, locking, interrupts, softirqs,
//! time, workqueues, kthreads, printk and the per-CPU machinery.

pub mod cgroup;
pub mod exit;
pub mod fork;
pub mod irq;
pub mod kallsyms;
pub mod kthread;
pub mod locking;
pub mod module;
pub mod panic;
pub mod percpu;
pub mod preempt;
pub mod printk;
pub mod process;
pub mod rcu;
pub mod sched;
pub mod signal;
pub mod smp;
pub mod softirq;
pub mod static_call;
pub mod sys;
pub mod time;
pub mod workqueue;
