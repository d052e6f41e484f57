//! `current`: the task whose host thread is executing.
//!
//! Each task thread records its `Task` and its `Kernel` in thread-local
//! storage when it starts ([`TaskThread::enter`]) and clears them when it
//! ends. The thread keeps its own `Arc<Task>` alive for that whole time, and
//! the kernel joins every task thread before the `Kernel` is dropped, so both
//! raw pointers are valid whenever they are non-null. That is the one
//! invariant the `unsafe` below relies on.

use super::task::Task;
use crate::init::kernel::Kernel;
use std::cell::Cell;
use std::sync::Arc;

thread_local! {
    static CURRENT: Cell<*const Task> = const { Cell::new(std::ptr::null()) };
    static KERNEL: Cell<*const Kernel> = const { Cell::new(std::ptr::null()) };
}

/// Held by a task's host thread for as long as it runs as that task.
pub(crate) struct TaskThread {
    _task: Arc<Task>,
}

impl TaskThread {
    pub(crate) fn enter(task: Arc<Task>, kernel: *const Kernel) -> Self {
        CURRENT.with(|c| c.set(Arc::as_ptr(&task)));
        KERNEL.with(|k| k.set(kernel));
        TaskThread { _task: task }
    }
}

impl Drop for TaskThread {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null()));
        KERNEL.with(|k| k.set(std::ptr::null()));
    }
}

/// Run `f` on the current task without touching its reference count.
/// Panics outside a kernel thread (that is a usk bug, not a user error).
#[inline]
pub fn with_current<R>(f: impl FnOnce(&Task) -> R) -> R {
    let p = CURRENT.with(|c| c.get());
    assert!(!p.is_null(), "current() used outside a kernel thread");
    // SAFETY: non-null means the TaskThread guard of this very thread holds
    // an Arc<Task> to it (see the module comment); the reference does not
    // escape `f`.
    f(unsafe { &*p })
}

/// `current`: a counted reference to the running task.
#[inline]
pub fn current() -> Arc<Task> {
    let p = CURRENT.with(|c| c.get());
    assert!(!p.is_null(), "current() used outside a kernel thread");
    // SAFETY: as in `with_current`; we add a strong count for the new Arc.
    unsafe {
        Arc::increment_strong_count(p);
        Arc::from_raw(p)
    }
}

/// Whether the calling host thread is a kernel task.
#[inline]
pub fn in_kernel_thread() -> bool {
    !CURRENT.with(|c| c.get()).is_null()
}

/// The kernel the calling thread belongs to, or null.
#[inline]
pub(crate) fn kernel_ptr() -> *const Kernel {
    KERNEL.with(|k| k.get())
}

/// The kernel an object was created in (none if created on a plain host
/// thread), for objects whose teardown must run in that kernel and is
/// skipped elsewhere — e.g. when the kernel itself is already gone. Kept
/// as the kernel's instance id, not its address, which a kernel booted
/// later may reuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OwnerKernel(u64);

impl OwnerKernel {
    /// The calling thread's kernel.
    pub(crate) fn current() -> Self {
        let k = kernel_ptr();
        // SAFETY: non-null is the live kernel of this task thread.
        OwnerKernel(if k.is_null() {
            0
        } else {
            unsafe { &*k }.instance_id
        })
    }

    /// Whether the calling thread runs in this kernel.
    pub(crate) fn is_current(self) -> bool {
        self.0 != 0 && self == Self::current()
    }
}
