//! rcutorture (kernel/rcu/rcutorture.c), as a loadable module.
//!
//! A writer keeps replacing the element `rcu_torture_current` points to;
//! each replaced element goes through `RCU_TORTURE_PIPE_LEN` (10) grace
//! periods — one `call_rcu()` callback each bumps its `pipe_count` — before
//! it is marked free (`mbtest = 0`) and recycled. Readers, inside
//! `rcu_read_lock()`, look at the current element and record its
//! `pipe_count` ("Reader Pipe") and how many grace periods completed while
//! they held it ("Reader Batch"). Correct RCU never lets a reader see a
//! `pipe_count` above 1 or a freed element; any such sighting is an error
//! and the test ends in `FAILURE`. Fake writers call `synchronize_rcu()`,
//! and a barrier thread checks `rcu_barrier()` ("barrier: ok/attempts:err").
//!
//! Parameters: `nreaders`, `nfakewriters`, `stat_interval` (s),
//! `torture_duration` (s, 0 = until rmmod), `n_barrier_cbs`,
//! `torture_type` (`rcu`, or `rcu_busted` — Linux's deliberately broken
//! flavour whose deferred free skips the grace period, to prove the test
//! has teeth). The exit path stops every thread and then calls
//! `rcu_barrier()`, exactly as the seed describes.

use crate::init::kernel::kernel;
use crate::kernel::kthread::{kthread_run, kthread_should_stop, kthread_stop};
use crate::kernel::module::{current_module, ModuleInfo, ParamInfo};
use crate::kernel::rcu::{call_rcu, rcu_barrier, rcu_read_lock, synchronize_rcu};
use crate::kernel::sched::task::Task;
use crate::kernel::sched::{cond_resched, schedule_timeout_interruptible};
use crate::kernel::smp::smp_call_function_single;
use crate::kernel::time::HZ;
use crate::pr_alert;
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

pub const RCU_TORTURE_PIPE_LEN: usize = 10;
const POOL: usize = 10 * RCU_TORTURE_PIPE_LEN;

struct Elem {
    pipe_count: AtomicUsize,
    mbtest: AtomicBool,
}

#[derive(Default)]
struct Counters {
    rta: AtomicU64,
    rtaf: AtomicU64,
    rtf: AtomicU64,
    rtmbe: AtomicU64,
    nt: AtomicU64,
    ver: AtomicU64,
    barrier_attempts: AtomicU64,
    barrier_ok: AtomicU64,
    barrier_err: AtomicU64,
    pipe: [AtomicU64; RCU_TORTURE_PIPE_LEN + 1],
    batch: [AtomicU64; RCU_TORTURE_PIPE_LEN + 1],
    wcount: [AtomicU64; RCU_TORTURE_PIPE_LEN + 1],
}

struct Torture {
    pool: Vec<Elem>,
    freelist: Mutex<Vec<usize>>,
    /// `rcu_torture_current`: pool index + 1, 0 = NULL.
    current: AtomicUsize,
    c: Counters,
    busted: bool,
    nreaders: usize,
    nfakewriters: usize,
    stat_interval: u64,
    duration: u64,
    n_barrier_cbs: usize,
    threads: Mutex<Vec<Arc<Task>>>,
    stats_thread: Mutex<Option<Arc<Task>>>,
    stopping: AtomicBool,
    ended: AtomicBool,
}

const PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "nreaders",
        ty: "int",
        default: "4",
        desc: "Number of RCU reader threads",
    },
    ParamInfo {
        name: "nfakewriters",
        ty: "int",
        default: "4",
        desc: "Number of RCU fake writer threads",
    },
    ParamInfo {
        name: "stat_interval",
        ty: "int",
        default: "10",
        desc: "Number of seconds between stats printk()s",
    },
    ParamInfo {
        name: "torture_duration",
        ty: "int",
        default: "0",
        desc: "Seconds to run the test, 0 = until rmmod",
    },
    ParamInfo {
        name: "n_barrier_cbs",
        ty: "int",
        default: "4",
        desc: "# of callbacks/kthreads for barrier testing",
    },
    ParamInfo {
        name: "torture_type",
        ty: "charp",
        default: "rcu",
        desc: "Type of RCU to torture (rcu, rcu_busted)",
    },
];

impl Torture {
    fn elem(&self, idx: usize) -> &Elem {
        &self.pool[idx - 1]
    }

    /// `rcu_torture_pipe_update_one()`: one more grace period for `idx`;
    /// true when it has gone through all of them and may be freed.
    fn pipe_update_one(&self, idx: usize) -> bool {
        let e = self.elem(idx);
        let i = e
            .pipe_count
            .load(Ordering::Acquire)
            .min(RCU_TORTURE_PIPE_LEN);
        self.c.wcount[i].fetch_add(1, Ordering::Relaxed);
        let n = e.pipe_count.fetch_add(1, Ordering::AcqRel) + 1;
        if n >= RCU_TORTURE_PIPE_LEN {
            e.mbtest.store(false, Ordering::Release);
            return true;
        }
        false
    }

    fn free(&self, idx: usize) {
        self.c.rtf.fetch_add(1, Ordering::Relaxed);
        self.freelist.lock().push(idx);
    }

    /// `cur_ops->deferred_free()`.
    fn deferred_free(self: &Arc<Self>, idx: usize) {
        if self.busted {
            // rcu_busted: "This is a deliberate bug for testing purposes
            // only!" — the callback runs at once, without a grace period.
            self.torture_cb(idx);
        } else {
            let me = Arc::clone(self);
            call_rcu(move || me.torture_cb(idx));
        }
    }

    /// `rcu_torture_cb()`.
    fn torture_cb(self: &Arc<Self>, idx: usize) {
        if self.pipe_update_one(idx) {
            self.free(idx);
        } else {
            self.deferred_free(idx);
        }
    }

    fn writer(self: Arc<Self>) -> i32 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
        while !kthread_should_stop() {
            schedule_timeout_interruptible(1);
            let Some(idx) = self.freelist.lock().pop() else {
                self.c.rtaf.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            self.c.rta.fetch_add(1, Ordering::Relaxed);
            let e = self.elem(idx);
            e.pipe_count.store(0, Ordering::Release);
            e.mbtest.store(true, Ordering::Release);
            // rcu_assign_pointer(rcu_torture_current, rp)
            let old = self.current.swap(idx, Ordering::AcqRel);
            self.c.ver.fetch_add(1, Ordering::Relaxed);
            if old != 0 {
                let oe = self.elem(old);
                let i = oe
                    .pipe_count
                    .load(Ordering::Acquire)
                    .min(RCU_TORTURE_PIPE_LEN);
                self.c.wcount[i].fetch_add(1, Ordering::Relaxed);
                oe.pipe_count.fetch_add(1, Ordering::AcqRel);
                self.deferred_free(old);
            }
            if rng.gen_ratio(1, 8) {
                cond_resched();
            }
        }
        0
    }

    fn reader(self: Arc<Self>, seed: u64) -> i32 {
        let k = kernel();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        while !kthread_should_stop() {
            let g = rcu_read_lock();
            let started = k.rcu.n_gps.load(Ordering::Acquire);
            // rcu_dereference(rcu_torture_current)
            let idx = self.current.load(Ordering::Acquire);
            if idx == 0 {
                drop(g);
                schedule_timeout_interruptible(1);
                continue;
            }
            let e = self.elem(idx);
            if !e.mbtest.load(Ordering::Acquire) {
                self.c.rtmbe.fetch_add(1, Ordering::Relaxed);
            }
            // Hold the element a while (readers must not sleep here).
            if rng.gen_ratio(1, 32) {
                crate::kernel::time::udelay(rng.gen_range(1..50));
            }
            let pipe = e
                .pipe_count
                .load(Ordering::Acquire)
                .min(RCU_TORTURE_PIPE_LEN);
            let completed =
                (k.rcu.n_gps.load(Ordering::Acquire) - started).min(RCU_TORTURE_PIPE_LEN as u64);
            self.c.pipe[pipe].fetch_add(1, Ordering::Relaxed);
            self.c.batch[completed as usize].fetch_add(1, Ordering::Relaxed);
            drop(g);
            self.c.nt.fetch_add(1, Ordering::Relaxed);
            if rng.gen_ratio(1, 16) {
                cond_resched();
            }
        }
        0
    }

    fn fakewriter(self: Arc<Self>, seed: u64) -> i32 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        while !kthread_should_stop() {
            schedule_timeout_interruptible(rng.gen_range(1..10));
            if !kthread_should_stop() {
                synchronize_rcu();
            }
        }
        0
    }

    /// `rcu_torture_barrier()`: post callbacks around the CPUs, then check
    /// that `rcu_barrier()` waited for every one of them.
    fn barrier(self: Arc<Self>) -> i32 {
        let k = kernel();
        while !kthread_should_stop() {
            schedule_timeout_interruptible(HZ / 2);
            if kthread_should_stop() {
                break;
            }
            let invoked = Arc::new(AtomicUsize::new(0));
            for i in 0..self.n_barrier_cbs {
                let inv = Arc::clone(&invoked);
                smp_call_function_single(
                    i % k.nr_cpus(),
                    move || {
                        call_rcu(move || {
                            inv.fetch_add(1, Ordering::SeqCst);
                        })
                    },
                    true,
                );
            }
            self.c.barrier_attempts.fetch_add(1, Ordering::Relaxed);
            rcu_barrier();
            if invoked.load(Ordering::SeqCst) == self.n_barrier_cbs {
                self.c.barrier_ok.fetch_add(1, Ordering::Relaxed);
            } else {
                self.c.barrier_err.fetch_add(1, Ordering::Relaxed);
            }
        }
        0
    }

    fn errors(&self) -> u64 {
        let pipe_err: u64 = self.c.pipe[2..]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        pipe_err + self.c.rtmbe.load(Ordering::Relaxed) + self.c.barrier_err.load(Ordering::Relaxed)
    }

    /// `rcu_torture_stats_print()`.
    fn stats_print(&self) {
        let c = &self.c;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let row = |v: &[AtomicU64]| {
            v.iter()
                .map(|x| x.load(Ordering::Relaxed).to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        pr_alert!(
            "rcu-torture: rtc: {:016x} ver: {} tfle: {} rta: {} rtaf: {} rtf: {} rtmbe: {} rtmbkf: 0/0 rtbe: {} rtbke: 0 rtbf: 0 rtb: 0 nt: {} barrier: {}/{}:{}",
            0xffff_8880_0000_0000u64 + self.current.load(Ordering::Relaxed) as u64 * 0x40,
            l(&c.ver),
            self.freelist.lock().is_empty() as u8,
            l(&c.rta),
            l(&c.rtaf),
            l(&c.rtf),
            l(&c.rtmbe),
            l(&c.barrier_err),
            l(&c.nt),
            l(&c.barrier_ok),
            l(&c.barrier_attempts),
            l(&c.barrier_err),
        );
        let bad = c.pipe[2..].iter().any(|x| x.load(Ordering::Relaxed) != 0);
        pr_alert!(
            "rcu-torture: {}Reader Pipe:  {}",
            if bad { "!!! " } else { "" },
            row(&c.pipe)
        );
        pr_alert!("rcu-torture: Reader Batch:  {}", row(&c.batch));
        pr_alert!("rcu-torture: Free-Block Circulation:  {}", row(&c.wcount));
    }

    fn parms(&self) -> String {
        format!(
            "nreaders={} nfakewriters={} stat_interval={} torture_duration={} n_barrier_cbs={} torture_type={}",
            self.nreaders,
            self.nfakewriters,
            self.stat_interval,
            self.duration,
            self.n_barrier_cbs,
            if self.busted { "rcu_busted" } else { "rcu" }
        )
    }

    /// Stop every thread, wait for our callbacks, print the verdict. Runs
    /// once, at the end of `torture_duration` or at rmmod.
    fn end_test(self: &Arc<Self>) {
        if self.ended.swap(true, Ordering::AcqRel) {
            return;
        }
        self.stopping.store(true, Ordering::Release);
        let ts: Vec<Arc<Task>> = std::mem::take(&mut *self.threads.lock());
        for t in ts {
            kthread_stop(&t);
        }
        // The seed: no more callbacks will be posted; wait for those that were.
        rcu_barrier();
        self.stats_print();
        let verdict = if self.errors() == 0 {
            "SUCCESS"
        } else {
            "FAILURE"
        };
        pr_alert!("rcu-torture:--- End of test: {verdict}: {}", self.parms());
    }

    fn stats_thread(self: Arc<Self>) -> i32 {
        let k = kernel();
        let start = k.jiffies();
        let mut next_stat = start + self.stat_interval * HZ;
        while !kthread_should_stop() {
            schedule_timeout_interruptible(HZ / 10);
            let now = k.jiffies();
            if self.duration > 0
                && now >= start + self.duration * HZ
                && !self.ended.load(Ordering::Acquire)
            {
                self.end_test();
            }
            if !self.ended.load(Ordering::Acquire) && now >= next_stat {
                self.stats_print();
                next_stat = now + self.stat_interval * HZ;
            }
        }
        0
    }
}

fn rcu_torture_init() -> Result<(), uapi::errno::Errno> {
    let m = current_module().expect("running as a module");
    let k = kernel();
    let ttype = m.param("torture_type").unwrap_or_default();
    if ttype != "rcu" && ttype != "rcu_busted" {
        crate::pr_alert!("rcu-torture: invalid torture type: \"{ttype}\"");
        crate::pr_alert!("rcu-torture types: rcu rcu_busted");
        return Err(uapi::errno::EINVAL);
    }
    let t = Arc::new(Torture {
        pool: (0..POOL)
            .map(|_| Elem {
                pipe_count: AtomicUsize::new(0),
                mbtest: AtomicBool::new(false),
            })
            .collect(),
        freelist: Mutex::new((1..=POOL).collect()),
        current: AtomicUsize::new(0),
        c: Counters::default(),
        busted: ttype == "rcu_busted",
        nreaders: m.param_as::<usize>("nreaders").unwrap_or(4).clamp(1, 64),
        nfakewriters: m.param_as::<usize>("nfakewriters").unwrap_or(4).min(64),
        stat_interval: m.param_as::<u64>("stat_interval").unwrap_or(10).max(1),
        duration: m.param_as::<u64>("torture_duration").unwrap_or(0),
        n_barrier_cbs: m.param_as::<usize>("n_barrier_cbs").unwrap_or(4).min(64),
        threads: Mutex::new(Vec::new()),
        stats_thread: Mutex::new(None),
        stopping: AtomicBool::new(false),
        ended: AtomicBool::new(false),
    });
    *m.data.lock() = Some(t.clone());
    pr_alert!("rcu-torture:--- Start of test: {}", t.parms());
    let mut ts = Vec::new();
    let t2 = Arc::clone(&t);
    ts.push(kthread_run(move || t2.writer(), "rcu_torture_writer"));
    for i in 0..t.nfakewriters {
        let t2 = Arc::clone(&t);
        ts.push(kthread_run(
            move || t2.fakewriter(i as u64),
            "rcu_torture_fakewriter",
        ));
    }
    for i in 0..t.nreaders {
        let t2 = Arc::clone(&t);
        ts.push(kthread_run(
            move || t2.reader(100 + i as u64),
            "rcu_torture_reader",
        ));
    }
    if t.n_barrier_cbs > 0 {
        let t2 = Arc::clone(&t);
        ts.push(kthread_run(move || t2.barrier(), "rcu_torture_barrier"));
    }
    *t.threads.lock() = ts;
    let t2 = Arc::clone(&t);
    *t.stats_thread.lock() = Some(kthread_run(move || t2.stats_thread(), "rcu_torture_stats"));
    let _ = k;
    Ok(())
}

fn rcu_torture_cleanup() {
    let m = current_module().expect("running as a module");
    let t: Arc<Torture> = m.data().expect("module data");
    if let Some(s) = t.stats_thread.lock().take() {
        kthread_stop(&s);
    }
    t.end_test();
}

pub static RCUTORTURE: ModuleInfo = ModuleInfo {
    name: "rcutorture",
    description: "Read-Copy Update module-based torture test facility",
    author: "Paul E. McKenney <paulmck@linux.ibm.com> and Josh Triplett <josh@joshtriplett.org>",
    license: "GPL",
    params: PARAMS,
    init: rcu_torture_init,
    exit: rcu_torture_cleanup,
    size: 49152,
};
