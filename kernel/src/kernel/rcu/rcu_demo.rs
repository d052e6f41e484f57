//! The seed's story as two loadable modules (seed 002, "Unloading modules
//! that use call_rcu()").
//!
//! Both start a kthread that keeps replacing an object and handing the old
//! one to `call_rcu()` in batches larger than `blimit`, so callbacks are
//! always pending. `rcu_demo_leaky`'s exit stops the thread and returns: its
//! pending callbacks run after the module is gone — usk reports the jump
//! into freed module text, fatally, as Linux would. `rcu_demo_fixed`'s exit
//! does what the seed prescribes: stop posting, `rcu_barrier()`, return.

use crate::kernel::kthread::{kthread_run, kthread_should_stop, kthread_stop};
use crate::kernel::module::{current_module, ModuleInfo, ParamInfo};
use crate::kernel::rcu::{call_rcu, rcu_barrier};
use crate::kernel::sched::task::Task;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Demo {
    poster: Mutex<Option<Arc<Task>>>,
    posted: AtomicU64,
    freed: Arc<AtomicU64>,
}

const PARAMS: &[ParamInfo] = &[ParamInfo {
    name: "batch",
    ty: "int",
    default: "50",
    desc: "call_rcu() callbacks posted per millisecond",
}];

fn demo_init() -> Result<(), uapi::errno::Errno> {
    let m = current_module().expect("running as a module");
    let batch: u64 = m.param_as("batch").unwrap_or(50);
    let d = Arc::new(Demo::default());
    *m.data.lock() = Some(d.clone());
    let d2 = Arc::clone(&d);
    let t = kthread_run(
        move || {
            loop {
                // Post first, then look at the stop request: callbacks are
                // always in flight when the module's exit runs.
                for _ in 0..batch {
                    let obj = Box::new([0u8; 64]);
                    let freed = Arc::clone(&d2.freed);
                    call_rcu(move || {
                        drop(obj);
                        freed.fetch_add(1, Ordering::Relaxed);
                    });
                    d2.posted.fetch_add(1, Ordering::Relaxed);
                }
                if kthread_should_stop() {
                    return 0;
                }
                crate::kernel::time::msleep(1);
            }
        },
        &format!("{}_poster", m.name()),
    );
    *d.poster.lock() = Some(t);
    crate::pr_info!("{}: posting call_rcu() callbacks, batch {batch}", m.name());
    Ok(())
}

fn stop_posting() -> (Arc<Demo>, &'static str) {
    let m = current_module().expect("running as a module");
    let d: Arc<Demo> = m.data().expect("module data");
    if let Some(t) = d.poster.lock().take() {
        kthread_stop(&t);
    }
    (d, m.name())
}

fn leaky_exit() {
    let (d, name) = stop_posting();
    let pending = d.posted.load(Ordering::Relaxed) - d.freed.load(Ordering::Relaxed);
    crate::pr_info!("{name}: unloading with {pending} callbacks still pending, no rcu_barrier()");
}

fn fixed_exit() {
    let (d, name) = stop_posting();
    let pending = d.posted.load(Ordering::Relaxed) - d.freed.load(Ordering::Relaxed);
    rcu_barrier();
    crate::pr_info!(
        "{name}: rcu_barrier() waited for {pending} pending callbacks; {} posted, {} freed",
        d.posted.load(Ordering::Relaxed),
        d.freed.load(Ordering::Relaxed)
    );
}

pub static RCU_DEMO_LEAKY: ModuleInfo = ModuleInfo {
    name: "rcu_demo_leaky",
    description: "call_rcu() user that unloads without rcu_barrier() (seed 002's bug)",
    author: "usk",
    license: "GPL",
    params: PARAMS,
    init: demo_init,
    exit: leaky_exit,
    size: 16384,
};

pub static RCU_DEMO_FIXED: ModuleInfo = ModuleInfo {
    name: "rcu_demo_fixed",
    description: "call_rcu() user that calls rcu_barrier() in its exit (seed 002's fix)",
    author: "usk",
    license: "GPL",
    params: PARAMS,
    init: demo_init,
    exit: fixed_exit,
    size: 16384,
};
