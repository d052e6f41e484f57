//! Workqueues (kernel/workqueue.c, concurrency-managed).
//!
//! Work items run in process context on kernel worker threads
//! (`kworker/N:M` for CPU N's pool, `kworker/u:M` for the unbound pool).
//! Each pool keeps one worker in reserve: when the last idle worker starts
//! working it first creates another (the manager role). Concurrency is
//! managed through the scheduler: a worker that blocks while running a work
//! item drops the pool's `nr_running`, and if work is waiting, an idle worker
//! is woken so the CPU does not sit idle behind a sleeping item.
//!
//! Semantics kept from Linux:
//! * a work item is queued at most once (`WORK_STRUCT_PENDING`); PENDING is
//!   cleared just before the function runs, so it may re-queue itself;
//! * `max_active` limits in-flight items per (workqueue, pool); the rest
//!   wait on the pool-workqueue's inactive list;
//! * `flush_work` waits for the instance queued (or running) at the time of
//!   the call; `flush_workqueue` waits for everything queued before it
//!   (flush colours); `cancel_work_sync` removes a pending instance, waits
//!   for a running one, and blocks re-queueing meanwhile;
//! * `queue_delayed_work` arms a timer that queues the work when it fires;
//! * `destroy_workqueue` drains, then refuses further work with a warning.
//!
//! Idle workers beyond two (and beyond a quarter of the busy ones) are
//! reaped after `IDLE_WORKER_TIMEOUT`.

use crate::init::kernel::{kernel, Kernel};
use crate::kernel::kthread::{kthread_bind, kthread_create};
use crate::kernel::locking::{Mutex as KMutex, SpinLock};
use crate::kernel::sched::task::{Task, PF_WQ_WORKER, TASK_INTERRUPTIBLE, TASK_RUNNING};
use crate::kernel::sched::wait::{wait_event, WaitQueueHead};
use crate::kernel::sched::{schedule, set_current_state, wake_up_process};
use crate::kernel::time::timer::TimerList;
use crate::kernel::time::HZ;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

pub const WQ_UNBOUND: u32 = 1 << 1;
pub const WQ_DFL_ACTIVE: usize = 256;
pub const WQ_MAX_ACTIVE: usize = 512;
pub const IDLE_WORKER_TIMEOUT: u64 = 300 * HZ;
const WORK_NR_COLORS: usize = 16;

// ---- work items ----

struct WorkInner {
    func: Box<dyn Fn() + Send + Sync>,
    pending: AtomicBool,
    canceling: AtomicBool,
    /// Incremented each time the item is queued.
    queued_seq: AtomicU64,
    /// Sequence of the instance now running (0 = none).
    running_seq: AtomicU64,
    /// Sequence of the last instance that finished.
    done_seq: AtomicU64,
    done_wait: WaitQueueHead,
}

/// `struct work_struct`. Cloning gives another handle to the same item.
#[derive(Clone)]
pub struct WorkStruct(Arc<WorkInner>);

impl WorkStruct {
    /// `INIT_WORK(work, func)`.
    pub fn new(func: impl Fn() + Send + Sync + 'static) -> Self {
        WorkStruct(Arc::new(WorkInner {
            func: Box::new(func),
            pending: AtomicBool::new(false),
            canceling: AtomicBool::new(false),
            queued_seq: AtomicU64::new(0),
            running_seq: AtomicU64::new(0),
            done_seq: AtomicU64::new(0),
            done_wait: WaitQueueHead::new(),
        }))
    }

    /// `work_pending()`.
    pub fn pending(&self) -> bool {
        self.0.pending.load(Ordering::Acquire)
    }

    /// `work_busy()`-style: queued or running.
    pub fn busy(&self) -> bool {
        self.pending() || self.0.running_seq.load(Ordering::Acquire) != 0
    }

    fn same(&self, o: &WorkStruct) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}

// ---- pools and workers ----

struct Queued {
    work: WorkStruct,
    pwq: Arc<PoolWorkqueue>,
    color: usize,
    seq: u64,
}

struct PoolInner {
    worklist: VecDeque<Queued>,
    idle: Vec<Arc<Worker>>,
    nr_workers: usize,
    nr_idle: usize,
    next_id: usize,
    manager_active: bool,
    reaper_armed: bool,
}

pub struct WorkerPool {
    pub id: usize,
    pub cpu: Option<usize>,
    lock: SpinLock<PoolInner>,
    /// Workers running (not idle, not blocked).
    nr_running: AtomicI32,
    workers: parking_lot::Mutex<Vec<Arc<Worker>>>,
    reaper: OnceLock<TimerList>,
}

pub struct Worker {
    pub id: usize,
    pool: Weak<WorkerPool>,
    task: OnceLock<Arc<Task>>,
    die: AtomicBool,
    /// WORKER_IDLE: not counted in nr_running, not tracked by the hooks.
    idle: AtomicBool,
    sleeping: AtomicBool,
    last_active: AtomicU64,
}

/// Per (workqueue, pool) state: `struct pool_workqueue`.
pub struct PoolWorkqueue {
    wq: Weak<WqInner>,
    pool: Arc<WorkerPool>,
    nr_active: AtomicUsize,
    inactive: parking_lot::Mutex<VecDeque<Queued>>,
}

struct WqInner {
    name: String,
    flags: u32,
    max_active: usize,
    pwqs: Vec<Arc<PoolWorkqueue>>,
    color_state: SpinLock<ColorState>,
    flush_wait: WaitQueueHead,
    flush_mutex: KMutex<()>,
    dying: AtomicBool,
}

struct ColorState {
    work_color: usize,
    nr_in_flight: [usize; WORK_NR_COLORS],
}

/// `struct workqueue_struct`.
#[derive(Clone)]
pub struct Workqueue(Arc<WqInner>);

/// The system's pools and workqueues.
pub struct Workqueues {
    pools: OnceLock<Vec<Arc<WorkerPool>>>,
    registry: parking_lot::Mutex<Vec<Weak<WqInner>>>,
    system_wq: OnceLock<Workqueue>,
    system_unbound_wq: OnceLock<Workqueue>,
}

impl Default for Workqueues {
    fn default() -> Self {
        Workqueues {
            pools: OnceLock::new(),
            registry: parking_lot::Mutex::new(Vec::new()),
            system_wq: OnceLock::new(),
            system_unbound_wq: OnceLock::new(),
        }
    }
}

impl Workqueues {
    fn pools(&self) -> &[Arc<WorkerPool>] {
        self.pools.get().map(|v| v.as_slice()).unwrap_or(&[])
    }
}

fn pool_name(pool: &WorkerPool, id: usize) -> String {
    match pool.cpu {
        Some(c) => format!("kworker/{c}:{id}"),
        None => format!("kworker/u:{id}"),
    }
}

fn create_worker(pool: &Arc<WorkerPool>) {
    let id = {
        let mut g = pool.lock.lock_irqsave();
        g.next_id += 1;
        g.nr_workers += 1;
        g.next_id - 1
    };
    let worker = Arc::new(Worker {
        id,
        pool: Arc::downgrade(pool),
        task: OnceLock::new(),
        die: AtomicBool::new(false),
        idle: AtomicBool::new(true),
        sleeping: AtomicBool::new(false),
        last_active: AtomicU64::new(kernel().jiffies()),
    });
    let w2 = Arc::clone(&worker);
    let task = kthread_create(move || worker_thread(w2), &pool_name(pool, id));
    task.flags.fetch_or(PF_WQ_WORKER, Ordering::Relaxed);
    let _ = task.worker.set(Arc::clone(&worker));
    if let Some(c) = pool.cpu {
        kthread_bind(&task, c);
    }
    let _ = worker.task.set(Arc::clone(&task));
    pool.workers.lock().push(Arc::clone(&worker));
    {
        let mut g = pool.lock.lock_irqsave();
        g.nr_idle += 1;
        g.idle.push(Arc::clone(&worker));
    }
    wake_up_process(&task);
}

fn wake_up_worker(g: &PoolInner) {
    if let Some(w) = g.idle.last() {
        if let Some(t) = w.task.get() {
            wake_up_process(t);
        }
    }
}

/// `wq_worker_sleeping()`: called by `schedule()` when a worker blocks.
pub(crate) fn wq_worker_sleeping(w: &Worker) {
    let Some(pool) = w.pool.upgrade() else { return };
    if w.idle.load(Ordering::Acquire) || w.sleeping.swap(true, Ordering::AcqRel) {
        return;
    }
    if pool.nr_running.fetch_sub(1, Ordering::AcqRel) == 1 {
        let g = pool.lock.lock_irqsave();
        if !g.worklist.is_empty() {
            wake_up_worker(&g);
        }
    }
}

/// `wq_worker_running()`: the worker runs again after blocking.
pub(crate) fn wq_worker_running(w: &Worker) {
    if let Some(pool) = w.pool.upgrade() {
        if w.sleeping.swap(false, Ordering::AcqRel) {
            pool.nr_running.fetch_add(1, Ordering::AcqRel);
        }
    }
}

fn too_many_workers(g: &PoolInner) -> bool {
    let nr_busy = g.nr_workers - g.nr_idle;
    g.nr_idle > 2 && (g.nr_idle - 2) * 4 >= nr_busy
}

fn worker_thread(w: Arc<Worker>) -> i32 {
    let Some(pool) = w.pool.upgrade() else {
        return 0;
    };
    let k = kernel();
    let mut g = pool.lock.lock_irq();
    loop {
        if w.die.load(Ordering::Acquire) || k.wq_stopping.load(Ordering::Acquire) {
            g.idle.retain(|x| !Arc::ptr_eq(x, &w));
            g.nr_idle -= 1;
            g.nr_workers -= 1;
            drop(g);
            pool.workers.lock().retain(|x| !Arc::ptr_eq(x, &w));
            return 0;
        }
        // worker_leave_idle()
        g.idle.retain(|x| !Arc::ptr_eq(x, &w));
        g.nr_idle -= 1;
        w.idle.store(false, Ordering::Release);
        pool.nr_running.fetch_add(1, Ordering::AcqRel);
        // Keep one idle worker in reserve (manage_workers()).
        if !g.worklist.is_empty() && g.nr_idle == 0 && !g.manager_active {
            g.manager_active = true;
            drop(g);
            create_worker(&pool);
            g = pool.lock.lock_irq();
            g.manager_active = false;
        }
        while let Some(q) = g.worklist.pop_front() {
            process_one_work(q, &mut g);
            // keep_working(): let others take the rest if they run.
            if pool.nr_running.load(Ordering::Acquire) > 1 {
                break;
            }
        }
        // worker_enter_idle()
        w.idle.store(true, Ordering::Release);
        pool.nr_running.fetch_sub(1, Ordering::AcqRel);
        g.nr_idle += 1;
        g.idle.push(Arc::clone(&w));
        w.last_active.store(k.jiffies(), Ordering::Relaxed);
        if too_many_workers(&g) && !g.reaper_armed {
            g.reaper_armed = true;
            if let Some(t) = pool.reaper.get() {
                t.mod_timer(k.jiffies() + IDLE_WORKER_TIMEOUT);
            }
        }
        set_current_state(TASK_INTERRUPTIBLE);
        drop(g);
        schedule();
        set_current_state(TASK_RUNNING);
        g = pool.lock.lock_irq();
    }
}

fn process_one_work(q: Queued, g: &mut crate::kernel::locking::SpinLockGuard<'_, PoolInner>) {
    let work = q.work;
    work.0.running_seq.store(q.seq, Ordering::Release);
    // set_work_pool_and_clear_pending(): it may be queued again from now.
    work.0.pending.store(false, Ordering::Release);
    let addr = Arc::as_ptr(&work.0) as u64;
    g.unlocked(|| {
        crate::kernel::preempt::local_irq_enable();
        crate::trace::trace(&crate::trace::events::WORKQUEUE_EXECUTE_START, |w| {
            w.u64(8, addr).u64(16, addr);
        });
        (work.0.func)();
        crate::trace::trace(&crate::trace::events::WORKQUEUE_EXECUTE_END, |w| {
            w.u64(8, addr).u64(16, addr);
        });
        crate::kernel::sched::cond_resched();
        crate::kernel::preempt::local_irq_disable();
    });
    work.0.done_seq.store(q.seq, Ordering::Release);
    work.0.running_seq.store(0, Ordering::Release);
    work.0.done_wait.wake_up_all();
    pwq_dec_nr_in_flight(&q.pwq, q.color, Some(g));
}

/// `workqueue:workqueue_activate_work`: `work` goes on the active list.
/// Work items are identified by their address, which stands for both the
/// `work_struct` and its function (as in `workqueue_queue_work`).
#[inline(always)]
fn trace_activate_work(work: &WorkStruct) {
    crate::trace::trace(&crate::trace::events::WORKQUEUE_ACTIVATE_WORK, |w| {
        let a = Arc::as_ptr(&work.0) as u64;
        w.u64(8, a).u64(16, a);
    });
}

/// A work item left its pool-workqueue: activate an inactive one and do
/// the flush-colour accounting.
fn pwq_dec_nr_in_flight(
    pwq: &Arc<PoolWorkqueue>,
    color: usize,
    pool_guard: Option<&mut crate::kernel::locking::SpinLockGuard<'_, PoolInner>>,
) {
    pwq.nr_active.fetch_sub(1, Ordering::AcqRel);
    let next = pwq.inactive.lock().pop_front();
    if let Some(n) = next {
        // pwq_activate_inactive_work()
        trace_activate_work(&n.work);
        pwq.nr_active.fetch_add(1, Ordering::AcqRel);
        match pool_guard {
            Some(g) => g.worklist.push_back(n),
            None => pwq.pool.lock.lock_irqsave().worklist.push_back(n),
        }
    }
    if let Some(wq) = pwq.wq.upgrade() {
        let mut c = wq.color_state.lock_irqsave();
        c.nr_in_flight[color] -= 1;
        drop(c);
        wq.flush_wait.wake_up_all();
    }
}

fn reap_idle_workers(pool: &Arc<WorkerPool>) {
    let k = kernel();
    let mut g = pool.lock.lock_irqsave();
    g.reaper_armed = false;
    if !too_many_workers(&g) {
        return;
    }
    // The longest-idle worker is at the front; it unlinks itself and
    // exits when it runs.
    let Some(w) = g
        .idle
        .iter()
        .find(|w| !w.die.load(Ordering::Acquire))
        .cloned()
    else {
        return;
    };
    let expires = w.last_active.load(Ordering::Relaxed) + IDLE_WORKER_TIMEOUT;
    g.reaper_armed = true;
    if k.jiffies() < expires {
        if let Some(t) = pool.reaper.get() {
            t.mod_timer(expires);
        }
        return;
    }
    w.die.store(true, Ordering::Release);
    if let Some(t) = pool.reaper.get() {
        t.mod_timer(k.jiffies() + 1);
    }
    if let Some(t) = w.task.get() {
        wake_up_process(t);
    }
}

// ---- workqueues ----

/// `alloc_workqueue(name, flags, max_active)`.
pub fn alloc_workqueue(name: &str, flags: u32, max_active: usize) -> Workqueue {
    let k = kernel();
    let max_active = if max_active == 0 {
        WQ_DFL_ACTIVE
    } else {
        max_active.min(WQ_MAX_ACTIVE)
    };
    let wq = Arc::new_cyclic(|weak: &Weak<WqInner>| WqInner {
        name: name.to_string(),
        flags,
        max_active,
        pwqs: k
            .workqueues
            .pools()
            .iter()
            .map(|p| {
                Arc::new(PoolWorkqueue {
                    wq: weak.clone(),
                    pool: Arc::clone(p),
                    nr_active: AtomicUsize::new(0),
                    inactive: parking_lot::Mutex::new(VecDeque::new()),
                })
            })
            .collect(),
        color_state: SpinLock::new(ColorState {
            work_color: 0,
            nr_in_flight: [0; WORK_NR_COLORS],
        }),
        flush_wait: WaitQueueHead::new(),
        flush_mutex: KMutex::new(()),
        dying: AtomicBool::new(false),
    });
    let mut reg = k.workqueues.registry.lock();
    reg.retain(|w| w.strong_count() > 0);
    reg.push(Arc::downgrade(&wq));
    Workqueue(wq)
}

/// `alloc_ordered_workqueue()`: one item at a time, in queueing order.
pub fn alloc_ordered_workqueue(name: &str, flags: u32) -> Workqueue {
    alloc_workqueue(name, flags | WQ_UNBOUND, 1)
}

impl Workqueue {
    pub fn name(&self) -> &str {
        &self.0.name
    }

    fn pwq_for(&self, cpu: usize) -> &Arc<PoolWorkqueue> {
        let n = self.0.pwqs.len();
        if self.0.flags & WQ_UNBOUND != 0 {
            &self.0.pwqs[n - 1]
        } else {
            &self.0.pwqs[cpu.min(n - 2)]
        }
    }

    /// `__queue_work()`: the item is already marked pending.
    fn insert(&self, cpu: usize, work: &WorkStruct) {
        let pwq = Arc::clone(self.pwq_for(cpu));
        let color = {
            let mut c = self.0.color_state.lock_irqsave();
            let color = c.work_color;
            c.nr_in_flight[color] += 1;
            color
        };
        let seq = work.0.queued_seq.fetch_add(1, Ordering::AcqRel) + 1;
        let q = Queued {
            work: work.clone(),
            pwq: Arc::clone(&pwq),
            color,
            seq,
        };
        crate::trace::trace(&crate::trace::events::WORKQUEUE_QUEUE_WORK, |w| {
            let a = Arc::as_ptr(&work.0) as u64;
            w.u64(8, a)
                .u64(16, a)
                .str(24, 32, &self.0.name)
                .i32(56, cpu as i32)
                .i32(60, pwq.pool.cpu.map_or(-1, |c| c as i32));
        });
        let pool = &pwq.pool;
        let mut g = pool.lock.lock_irqsave();
        if pwq.nr_active.load(Ordering::Acquire) < self.0.max_active {
            trace_activate_work(work);
            pwq.nr_active.fetch_add(1, Ordering::AcqRel);
            g.worklist.push_back(q);
            if pool.nr_running.load(Ordering::Acquire) == 0 {
                wake_up_worker(&g);
            }
        } else {
            pwq.inactive.lock().push_back(q);
        }
    }

    /// `queue_work_on(cpu, wq, work)`: false if it was already pending.
    pub fn queue_work_on(&self, cpu: usize, work: &WorkStruct) -> bool {
        if self.0.dying.load(Ordering::Acquire) {
            crate::WARN!(
                true,
                "workqueue {}: queueing work on a destroyed workqueue",
                self.0.name
            );
            return false;
        }
        if work.0.canceling.load(Ordering::Acquire) {
            return false;
        }
        if work.0.pending.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.insert(cpu, work);
        true
    }

    /// `queue_work(wq, work)`: on the local CPU's pool.
    pub fn queue_work(&self, work: &WorkStruct) -> bool {
        self.queue_work_on(crate::kernel::smp::smp_processor_id(), work)
    }

    /// `queue_delayed_work(wq, dwork, delay)`.
    pub fn queue_delayed_work(&self, dwork: &DelayedWork, delay: u64) -> bool {
        let work = &dwork.work;
        if self.0.dying.load(Ordering::Acquire) || work.0.canceling.load(Ordering::Acquire) {
            return false;
        }
        if work.0.pending.swap(true, Ordering::AcqRel) {
            return false;
        }
        if delay == 0 {
            self.insert(crate::kernel::smp::smp_processor_id(), work);
            return true;
        }
        *dwork.target.lock() = Some(self.clone());
        dwork.timer.mod_timer(kernel().jiffies() + delay);
        true
    }

    /// `mod_delayed_work()`: (re)arm whether or not it was pending.
    pub fn mod_delayed_work(&self, dwork: &DelayedWork, delay: u64) -> bool {
        let was = dwork.try_grab_pending();
        self.queue_delayed_work(dwork, delay);
        was
    }

    /// `flush_workqueue()`: wait for every item queued before the call.
    pub fn flush_workqueue(&self) {
        crate::kernel::panic::might_sleep();
        let _serial = self.0.flush_mutex.lock();
        let my_color = {
            let mut c = self.0.color_state.lock_irqsave();
            let my = c.work_color;
            c.work_color = (my + 1) % WORK_NR_COLORS;
            my
        };
        wait_event(&self.0.flush_wait, || {
            self.0.color_state.lock_irqsave().nr_in_flight[my_color] == 0
        });
    }

    /// `drain_workqueue()`: flush until nothing is left (items may requeue).
    pub fn drain_workqueue(&self) {
        loop {
            self.flush_workqueue();
            let c = self.0.color_state.lock_irqsave();
            if c.nr_in_flight.iter().all(|&n| n == 0) {
                return;
            }
        }
    }

    /// `destroy_workqueue()`.
    pub fn destroy(self) {
        self.drain_workqueue();
        self.0.dying.store(true, Ordering::Release);
    }
}

/// `flush_work()`: wait for the instance queued or running now. Returns
/// false if the item was idle.
#[track_caller]
pub fn flush_work(work: &WorkStruct) -> bool {
    crate::kernel::panic::might_sleep();
    let target = if work.pending() {
        work.0.queued_seq.load(Ordering::Acquire)
    } else {
        match work.0.running_seq.load(Ordering::Acquire) {
            0 => return false,
            s => s,
        }
    };
    wait_event(&work.0.done_wait, || {
        work.0.done_seq.load(Ordering::Acquire) >= target
    });
    true
}

/// Steal a pending (queued, not running) instance off its worklist.
fn steal_from_worklists(work: &WorkStruct) -> bool {
    let k = kernel();
    for pool in k.workqueues.pools() {
        let mut g = pool.lock.lock_irqsave();
        if let Some(pos) = g.worklist.iter().position(|q| q.work.same(work)) {
            let q = g.worklist.remove(pos).expect("position valid");
            work.0.pending.store(false, Ordering::Release);
            pwq_dec_nr_in_flight(&q.pwq, q.color, Some(&mut g));
            return true;
        }
    }
    false
}

/// `cancel_work_sync()`: make sure the item is neither pending nor running
/// when this returns; true if it was pending.
#[track_caller]
pub fn cancel_work_sync(work: &WorkStruct) -> bool {
    crate::kernel::panic::might_sleep();
    work.0.canceling.store(true, Ordering::Release);
    let mut was = false;
    while work.pending() {
        if steal_from_worklists(work) || steal_from_inactive(work) {
            was = true;
            break;
        }
        // Pending but on no list: its delayed timer is about to queue it,
        // or it is being inserted; let that finish.
        crate::kernel::sched::yield_now();
    }
    flush_work(work);
    work.0.canceling.store(false, Ordering::Release);
    was
}

fn steal_from_inactive(work: &WorkStruct) -> bool {
    let k = kernel();
    let wqs: Vec<Arc<WqInner>> = k
        .workqueues
        .registry
        .lock()
        .iter()
        .filter_map(|w| w.upgrade())
        .collect();
    for wq in wqs {
        for pwq in &wq.pwqs {
            let mut inact = pwq.inactive.lock();
            if let Some(pos) = inact.iter().position(|q| q.work.same(work)) {
                let q = inact.remove(pos).expect("position valid");
                drop(inact);
                work.0.pending.store(false, Ordering::Release);
                let mut c = wq.color_state.lock_irqsave();
                c.nr_in_flight[q.color] -= 1;
                drop(c);
                wq.flush_wait.wake_up_all();
                return true;
            }
        }
    }
    false
}

/// `struct delayed_work`.
#[derive(Clone)]
pub struct DelayedWork {
    pub work: WorkStruct,
    timer: TimerList,
    target: Arc<parking_lot::Mutex<Option<Workqueue>>>,
}

impl DelayedWork {
    /// `INIT_DELAYED_WORK`.
    pub fn new(func: impl Fn() + Send + Sync + 'static) -> Self {
        let work = WorkStruct::new(func);
        let target: Arc<parking_lot::Mutex<Option<Workqueue>>> =
            Arc::new(parking_lot::Mutex::new(None));
        let (w2, t2) = (work.clone(), Arc::clone(&target));
        // delayed_work_timer_fn() (kernel text): queue on the CPU the timer
        // fired on.
        let timer = crate::kernel::module::with_module_context(None, || {
            TimerList::new(move || {
                if let Some(wq) = t2.lock().clone() {
                    wq.insert(crate::kernel::smp::smp_processor_id(), &w2);
                }
            })
        });
        DelayedWork {
            work,
            timer,
            target,
        }
    }

    /// Take PENDING away from an armed timer or a worklist.
    fn try_grab_pending(&self) -> bool {
        if self.timer.del_timer() {
            self.work.0.pending.store(false, Ordering::Release);
            return true;
        }
        self.work.pending() && (steal_from_worklists(&self.work) || steal_from_inactive(&self.work))
    }

    /// `cancel_delayed_work()`: no waiting for a running instance.
    pub fn cancel(&self) -> bool {
        self.try_grab_pending()
    }

    /// `cancel_delayed_work_sync()`.
    pub fn cancel_sync(&self) -> bool {
        self.work.0.canceling.store(true, Ordering::Release);
        let was = self.timer.del_timer_sync() && {
            self.work.0.pending.store(false, Ordering::Release);
            true
        };
        cancel_work_sync(&self.work) || was
    }

    /// `flush_delayed_work()`: fire a pending timer now and wait.
    pub fn flush(&self) -> bool {
        if self.timer.del_timer() {
            if let Some(wq) = self.target.lock().clone() {
                wq.insert(crate::kernel::smp::smp_processor_id(), &self.work);
            }
        }
        flush_work(&self.work)
    }
}

// ---- system workqueues ----

/// `workqueue_init()`: per-CPU pools plus the unbound pool, each with its
/// first worker, and `system_wq`/`system_unbound_wq`.
pub(crate) fn workqueue_init(k: &Kernel) {
    let mut pools: Vec<Arc<WorkerPool>> = (0..k.nr_cpus()).map(|c| new_pool(c, Some(c))).collect();
    pools.push(new_pool(k.nr_cpus(), None));
    let _ = k.workqueues.pools.set(pools);
    for p in k.workqueues.pools() {
        let p2 = Arc::downgrade(p);
        let _ = p.reaper.set(TimerList::new(move || {
            if let Some(p) = p2.upgrade() {
                reap_idle_workers(&p);
            }
        }));
        create_worker(p);
    }
    let _ = k.workqueues.system_wq.set(alloc_workqueue("events", 0, 0));
    let _ = k.workqueues.system_unbound_wq.set(alloc_workqueue(
        "events_unbound",
        WQ_UNBOUND,
        WQ_MAX_ACTIVE,
    ));
}

fn new_pool(id: usize, cpu: Option<usize>) -> Arc<WorkerPool> {
    Arc::new(WorkerPool {
        id,
        cpu,
        lock: SpinLock::new(PoolInner {
            worklist: VecDeque::new(),
            idle: Vec::new(),
            nr_workers: 0,
            nr_idle: 0,
            next_id: 0,
            manager_active: false,
            reaper_armed: false,
        }),
        nr_running: AtomicI32::new(0),
        workers: parking_lot::Mutex::new(Vec::new()),
        reaper: OnceLock::new(),
    })
}

/// Stop every worker (at power-off).
pub(crate) fn workqueue_shutdown(k: &Kernel) {
    k.wq_stopping.store(true, Ordering::Release);
    for p in k.workqueues.pools() {
        if let Some(t) = p.reaper.get() {
            t.del_timer_sync();
        }
        let workers: Vec<Arc<Worker>> = p.workers.lock().clone();
        for w in workers {
            if let Some(t) = w.task.get() {
                crate::kernel::kthread::kthread_stop(t);
            }
        }
    }
}

/// `system_wq`.
pub fn system_wq() -> Workqueue {
    kernel()
        .workqueues
        .system_wq
        .get()
        .expect("workqueues initialised")
        .clone()
}

/// `system_unbound_wq`.
pub fn system_unbound_wq() -> Workqueue {
    kernel()
        .workqueues
        .system_unbound_wq
        .get()
        .expect("workqueues initialised")
        .clone()
}

/// `schedule_work()`: queue on `system_wq`.
pub fn schedule_work(work: &WorkStruct) -> bool {
    system_wq().queue_work(work)
}

/// `schedule_delayed_work()`.
pub fn schedule_delayed_work(dwork: &DelayedWork, delay: u64) -> bool {
    system_wq().queue_delayed_work(dwork, delay)
}

/// `flush_scheduled_work()`.
pub fn flush_scheduled_work() {
    system_wq().flush_workqueue()
}
