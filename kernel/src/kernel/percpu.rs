//! Per-CPU variables.
//!
//! `PerCpu<T>` is `DEFINE_PER_CPU(T, name)` for a kernel instance: one
//! cache-line-aligned `T` per possible CPU, declared as a field of the
//! subsystem that owns it. Access follows Linux:
//!
//! * [`PerCpu::get_cpu_var`] pins the caller to its CPU (preemption off)
//!   until the guard — `put_cpu_var` — is dropped;
//! * [`PerCpu::this_cpu`] is `raw_cpu_ptr`/`this_cpu_ptr`: the caller's CPU,
//!   valid because usk only switches tasks at explicit scheduling points;
//! * [`PerCpu::per_cpu`] is `per_cpu(var, cpu)` for any CPU.
//!
//! All access is shared (`&T`); mutation goes through atomics or locks inside
//! `T`. Because an interrupt can only arrive at an explicit interrupt point,
//! a relaxed load followed by a relaxed store on a CPU's own slot is as safe
//! against same-CPU interrupts as x86's single-instruction `this_cpu_add`
//! ([`this_cpu_add`]).

use crate::kernel::preempt::{preempt_disable, preempt_enable};
use crate::kernel::smp::smp_processor_id;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

pub struct PerCpu<T> {
    slots: Box<[CachePadded<T>]>,
}

impl<T> PerCpu<T> {
    /// `alloc_percpu`: one `T` per CPU, built by `init(cpu)`.
    pub fn new(nr_cpus: usize, mut init: impl FnMut(usize) -> T) -> Self {
        PerCpu {
            slots: (0..nr_cpus).map(|c| CachePadded::new(init(c))).collect(),
        }
    }

    /// `per_cpu(var, cpu)`.
    #[inline]
    pub fn per_cpu(&self, cpu: usize) -> &T {
        &self.slots[cpu]
    }

    /// `this_cpu_ptr(&var)`.
    #[inline]
    pub fn this_cpu(&self) -> &T {
        &self.slots[smp_processor_id()]
    }

    /// `get_cpu_var(var)`: the caller's CPU's instance, with preemption off
    /// until the guard drops (`put_cpu_var`).
    pub fn get_cpu_var(&self) -> CpuVarGuard<'_, T> {
        preempt_disable();
        CpuVarGuard {
            var: &self.slots[smp_processor_id()],
            _not_send: std::marker::PhantomData,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.slots.iter().enumerate().map(|(i, s)| (i, &**s))
    }

    pub fn nr_cpus(&self) -> usize {
        self.slots.len()
    }
}

pub struct CpuVarGuard<'a, T> {
    var: &'a T,
    /// Guards stay on the task (and CPU) that took them.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl<T> std::ops::Deref for CpuVarGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.var
    }
}

impl<T> Drop for CpuVarGuard<'_, T> {
    fn drop(&mut self) {
        preempt_enable();
    }
}

/// `this_cpu_add()` on a counter only its own CPU writes: plain load + store.
#[inline]
pub fn this_cpu_add(v: &AtomicU64, delta: u64) {
    v.store(
        v.load(Ordering::Relaxed).wrapping_add(delta),
        Ordering::Relaxed,
    );
}

/// Signed variant of [`this_cpu_add`].
#[inline]
pub fn this_cpu_add_signed(v: &AtomicI64, delta: i64) {
    v.store(
        v.load(Ordering::Relaxed).wrapping_add(delta),
        Ordering::Relaxed,
    );
}
