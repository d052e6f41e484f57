//! Kernel threads: creation through `kthreadd`, `kthread_create`/`_run`,
//! `kthread_bind`, `kthread_stop`/`kthread_should_stop`, and task exit.
//!
//! `kthread_create()` hands a request to `kthreadd` (pid 2), which creates
//! the task and its host thread — so every kernel thread is a child of
//! kthreadd, as `ps` shows in Linux. The new thread sleeps until the first
//! `wake_up_process()`. `kthread_stop()` sets `should_stop`, wakes the thread
//! and waits for it to exit, returning its result; a thread stopped before
//! it ever ran exits with `-EINTR` without running its function.
//!
//! Every task thread runs its body under `catch_unwind`: an oops (a `BUG()`
//! or a Rust panic) kills just that task, with Linux's "note: … exited with
//! preempt_count" messages if it died holding locks, while a machine halt
//! unwinds every thread so that all of them can be joined.

use crate::init::kernel::{kernel, Kernel};
use crate::kernel::panic::Unwind;
use crate::kernel::sched::completion::Completion;
use crate::kernel::sched::core::__schedule;
use crate::kernel::sched::current::{current, with_current, TaskThread};
use crate::kernel::sched::task::*;
use crate::kernel::sched::{set_current_state, wake_up_process};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

/// Host stack of a task thread ("kernel stack"); only touched pages are
/// committed by the host.
pub const THREAD_STACK_SIZE: usize = 2 << 20;

/// `struct kthread`.
pub struct KthreadInfo {
    should_stop: AtomicBool,
    started: AtomicBool,
    result: AtomicI32,
    exited: Completion,
}

impl KthreadInfo {
    fn new() -> Self {
        KthreadInfo {
            should_stop: AtomicBool::new(false),
            started: AtomicBool::new(false),
            result: AtomicI32::new(0),
            exited: Completion::new(),
        }
    }
}

type Body = Box<dyn FnOnce() -> i32 + Send>;

struct CreateRequest {
    task: Arc<Task>,
    body: Body,
    done: Arc<Completion>,
}

/// kthreadd's work list (`kthread_create_list`).
#[derive(Default)]
pub struct KthreadCreateList {
    list: Mutex<VecDeque<CreateRequest>>,
    kthreadd: Mutex<Option<Arc<Task>>>,
}

/// Build a task and register it in the task table (not yet runnable).
/// A thread joins the group `tgid`; otherwise the task leads a new one.
pub(crate) fn alloc_task(
    k: &Kernel,
    comm: &str,
    flags: u32,
    kthread: bool,
    tgid: Option<Pid>,
) -> Arc<Task> {
    let pid = k.alloc_pid();
    let t = Arc::new(Task::new(
        pid,
        tgid.unwrap_or(pid),
        comm,
        flags,
        kthread.then(KthreadInfo::new),
        k.clock.now_ns(),
    ));
    t.state.store(TASK_UNINTERRUPTIBLE, Ordering::Release);
    k.tasks.write().insert(pid, Arc::clone(&t));
    t
}

/// Start the host thread of `task`; it waits for its first CPU slot, then
/// runs `body` and exits with its result.
pub(crate) fn spawn_task_thread(k: &Kernel, task: Arc<Task>, body: Body) {
    let kp = KernelPtr(k as *const Kernel);
    let t2 = Arc::clone(&task);
    let live = Arc::clone(&k.live_threads);
    live.fetch_add(1, Ordering::AcqRel);
    let handle = std::thread::Builder::new()
        .name(task.comm())
        .stack_size(THREAD_STACK_SIZE)
        .spawn(move || {
            let kp = kp;
            let _live = LiveThread(live);
            let _guard = TaskThread::enter(Arc::clone(&t2), kp.0);
            task_entry(&t2, body);
        })
        .expect("spawn task thread");
    task.set_thread(handle.thread().clone());
    k.threads.lock().push(handle);
}

/// Counts the kernel's live host threads down when one ends.
struct LiveThread(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for LiveThread {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The kthreadd task, once it runs.
pub(crate) fn kthreadd_task(k: &Kernel) -> Option<Arc<Task>> {
    k.kthread_create_list.kthreadd.lock().clone()
}

/// A kernel pointer that may cross into the new thread: the kernel joins
/// the thread before it is dropped (see sched/current.rs).
struct KernelPtr(*const Kernel);
// SAFETY: the pointee is Sync and outlives the thread (joined before drop).
unsafe impl Send for KernelPtr {}

fn task_entry(task: &Arc<Task>, body: Body) {
    let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
        task.wait_permit();
        let k = kernel();
        if k.is_halting() {
            std::panic::resume_unwind(Box::new(Unwind::Halt));
        }
        crate::kernel::irq::irq_point();
        body()
    }));
    let code = match r {
        Ok(code) => code,
        Err(payload) => {
            if matches!(payload.downcast_ref::<Unwind>(), Some(Unwind::Halt)) {
                return;
            }
            let k = kernel();
            if k.is_halting() {
                return;
            }
            // An oops: leave what the task held behind, as make_task_dead does.
            let pc = task.preempt_count();
            if pc & crate::kernel::preempt::HARDIRQ_MASK != 0 {
                let _ = std::panic::catch_unwind(|| {
                    crate::kernel::panic::panic("Fatal exception in interrupt")
                });
                return;
            }
            if task.pid == 1 {
                let _ = std::panic::catch_unwind(|| {
                    crate::kernel::panic::panic("Attempted to kill init! exitcode=0x0000000b")
                });
                return;
            }
            if pc != 0 {
                crate::pr_err!(
                    "note: {}[{}] exited with preempt_count {}",
                    task.comm(),
                    task.pid,
                    pc
                );
                task.preempt_count.store(0, Ordering::Relaxed);
            }
            let st = k.cpu_state();
            if st.irqs_off.swap(false, Ordering::Relaxed) {
                crate::pr_err!(
                    "note: {}[{}] exited with irqs disabled",
                    task.comm(),
                    task.pid
                );
            }
            11 // SIGSEGV
        }
    };
    if std::panic::catch_unwind(AssertUnwindSafe(|| do_exit(code))).is_err() {
        // Halted while exiting.
    }
}

/// `do_exit()`: the task is gone; its thread returns right after.
pub(crate) fn do_exit(code: i32) {
    let k = kernel();
    let me = current();
    me.flags.fetch_or(PF_EXITING, Ordering::Relaxed);
    crate::trace::trace(&crate::trace::events::SCHED_PROCESS_EXIT, |w| {
        w.str(8, 16, &me.comm()).i32(24, me.pid).i32(28, me.prio());
    });
    if let Some(kt) = &me.kthread {
        kt.result.store(code, Ordering::Release);
        kt.exited.complete_all();
    }
    if let Some(p) = me.process() {
        // A user task: `code` is its wait status.
        if p.exit_code.load(Ordering::Acquire) == 0 {
            p.exit_code.store(code, Ordering::Release);
        }
        if k.strace_enabled() {
            crate::arch::x86::strace::exited(p.exit_code.load(Ordering::Acquire));
        }
        crate::kernel::exit::do_exit_process(&me, p);
    } else {
        k.tasks.write().remove(&me.pid);
    }
    set_current_state(TASK_DEAD);
    __schedule(&k, me, false);
}

/// The body of kthreadd: create requested threads.
pub(crate) fn kthreadd() -> i32 {
    let k = kernel();
    *k.kthread_create_list.kthreadd.lock() = Some(current());
    loop {
        set_current_state(TASK_INTERRUPTIBLE);
        let req = k.kthread_create_list.list.lock().pop_front();
        match req {
            Some(r) => {
                set_current_state(TASK_RUNNING);
                r.task.ppid.store(2, Ordering::Relaxed);
                spawn_task_thread(&k, r.task, r.body);
                r.done.complete();
            }
            None => {
                if kthread_should_stop() {
                    set_current_state(TASK_RUNNING);
                    return 0;
                }
                crate::kernel::sched::schedule();
            }
        }
    }
}

/// `kthread_create()`: a new kernel thread, asleep until woken.
pub fn kthread_create(f: impl FnOnce() -> i32 + Send + 'static, name: &str) -> Arc<Task> {
    let k = kernel();
    let task = alloc_task(&k, name, PF_KTHREAD, true, None);
    // A thread created by module code runs module code.
    *task.module.lock() = crate::kernel::module::current_module();
    let t2 = Arc::clone(&task);
    let body: Body = Box::new(move || {
        let kt = t2.kthread.as_ref().expect("kthread");
        kt.started.store(true, Ordering::Release);
        if kt.should_stop.load(Ordering::Acquire) {
            return -uapi::errno::EINTR.0;
        }
        f()
    });
    let kthreadd = k.kthread_create_list.kthreadd.lock().clone();
    match kthreadd {
        Some(kd) if !Arc::ptr_eq(&kd, &current()) => {
            let done = Arc::new(Completion::new());
            k.kthread_create_list.list.lock().push_back(CreateRequest {
                task: Arc::clone(&task),
                body,
                done: Arc::clone(&done),
            });
            wake_up_process(&kd);
            done.wait_for_completion();
        }
        _ => {
            task.ppid.store(2, Ordering::Relaxed);
            spawn_task_thread(&k, Arc::clone(&task), body);
        }
    }
    task
}

/// `kthread_run()`: create and wake.
pub fn kthread_run(f: impl FnOnce() -> i32 + Send + 'static, name: &str) -> Arc<Task> {
    let t = kthread_create(f, name);
    wake_up_process(&t);
    t
}

/// `kthread_bind()`: pin a not-yet-running kthread to `cpu`.
pub fn kthread_bind(t: &Arc<Task>, cpu: usize) {
    t.cpus_allowed.store(1 << cpu, Ordering::Release);
    t.cpu.store(cpu, Ordering::Release);
    t.flags.fetch_or(PF_NO_SETAFFINITY, Ordering::Relaxed);
}

/// `kthread_create_on_cpu()`.
pub fn kthread_create_on_cpu(
    f: impl FnOnce() -> i32 + Send + 'static,
    cpu: usize,
    name: &str,
) -> Arc<Task> {
    let t = kthread_create(f, name);
    kthread_bind(&t, cpu);
    t
}

/// `kthread_should_stop()`.
pub fn kthread_should_stop() -> bool {
    with_current(|t| {
        t.kthread
            .as_ref()
            .is_some_and(|k| k.should_stop.load(Ordering::Acquire))
    })
}

/// `kthread_stop()`: ask the thread to stop, wake it, wait for its exit and
/// return its result.
#[track_caller]
pub fn kthread_stop(t: &Arc<Task>) -> i32 {
    let Some(kt) = &t.kthread else {
        crate::WARN!(true, "kthread_stop() on a task that is not a kthread");
        return -uapi::errno::EINVAL.0;
    };
    kt.should_stop.store(true, Ordering::Release);
    wake_up_process(t);
    kt.exited.wait_for_completion();
    kt.result.load(Ordering::Acquire)
}
