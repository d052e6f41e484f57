//! The scheduler: tasks, CPU slots and runqueues, the CFS-like fair class,
//! the idle loop, deterministic mode, wait queues and completions.

pub mod completion;
pub mod core;
pub mod current;
pub mod det;
pub mod fair;
pub mod idle;
pub mod loadavg;
pub mod task;
pub mod wait;

pub use self::core::{
    cond_resched, schedule, schedule_timeout, schedule_timeout_interruptible,
    schedule_timeout_uninterruptible, set_cpus_allowed, set_current_state, set_user_nice,
    wake_up_process, yield_now, MAX_SCHEDULE_TIMEOUT,
};
pub use completion::Completion;
pub use current::current;
pub use task::{Pid, Task};
pub use wait::{WaitQueueEntry, WaitQueueHead};
