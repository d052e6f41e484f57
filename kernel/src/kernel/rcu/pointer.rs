//! RCU-protected pointers and lists: `rcu_dereference`,
//! `rcu_assign_pointer`, `list_add_rcu`, `list_del_rcu`,
//! `list_for_each_entry_rcu`.
//!
//! Publication uses release ordering and dereference acquire ordering (what
//! `rcu_assign_pointer`/`rcu_dereference` guarantee, with acquire standing in
//! for consume). A reference obtained under an [`RcuReadGuard`] lives no
//! longer than that guard, and an unpublished object comes back as
//! [`RcuRetired`], which can only be freed after a grace period
//! (`call_rcu`) or after `synchronize_rcu()`. Those two rules are the whole
//! safety argument of the `unsafe` below: no grace period can end while the
//! guard is held (the holder cannot be switched out in the non-preemptible
//! flavour, and blocks the grace period in the preemptible one), so memory
//! a reader reached through the pointer stays allocated while it looks.

use super::{call_rcu, synchronize_rcu, RcuReadGuard};
use crate::kernel::locking::SpinLock;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// An object taken out of an RCU-protected structure. Readers may still see
/// it; it is freed only after a grace period.
#[must_use = "retired objects must be freed after a grace period"]
pub struct RcuRetired<T: Send + 'static>(Option<Box<T>>);

impl<T: Send + 'static> RcuRetired<T> {
    /// Free it from an RCU callback (`kfree_rcu`/`call_rcu`).
    pub fn free_after_gp(mut self) {
        if let Some(b) = self.0.take() {
            call_rcu(move || drop(b));
        }
    }

    /// `synchronize_rcu()`, then hand it back for reuse.
    pub fn synchronize(mut self) -> Option<Box<T>> {
        let b = self.0.take();
        if b.is_some() {
            synchronize_rcu();
        }
        b
    }
}

impl<T: Send + 'static> Drop for RcuRetired<T> {
    fn drop(&mut self) {
        if let Some(b) = self.0.take() {
            call_rcu(move || drop(b));
        }
    }
}

/// A pointer readers follow under `rcu_read_lock()`.
pub struct RcuPointer<T: Send + Sync + 'static> {
    ptr: AtomicPtr<T>,
}

impl<T: Send + Sync + 'static> RcuPointer<T> {
    pub fn new(v: Option<Box<T>>) -> Self {
        RcuPointer {
            ptr: AtomicPtr::new(v.map_or(ptr::null_mut(), Box::into_raw)),
        }
    }

    /// `rcu_dereference()`.
    #[inline]
    pub fn dereference<'a>(&'a self, _guard: &'a RcuReadGuard) -> Option<&'a T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: see the module comment: a published pointer is freed only
        // after a grace period, which cannot end while `_guard` lives.
        unsafe { p.as_ref() }
    }

    /// `rcu_assign_pointer()`: publish `new`, retire the old object.
    pub fn assign(&self, new: Option<Box<T>>) -> RcuRetired<T> {
        let np = new.map_or(ptr::null_mut(), Box::into_raw);
        let old = self.ptr.swap(np, Ordering::AcqRel);
        // SAFETY: `old` came from Box::into_raw and was just unpublished;
        // ownership moves into the RcuRetired, which defers the free.
        RcuRetired((!old.is_null()).then(|| unsafe { Box::from_raw(old) }))
    }
}

impl<T: Send + Sync + 'static> Drop for RcuPointer<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: we own the pointer; no reader can hold a reference,
            // since references borrow `self`.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

/// A list element; a removed one comes back wrapped in [`RcuRetired`].
pub struct Node<T> {
    val: T,
    next: AtomicPtr<Node<T>>,
}

impl<T> Node<T> {
    pub fn value(&self) -> &T {
        &self.val
    }
}

/// An RCU-protected singly linked list: lock-free traversal for readers,
/// updates serialised by the list's spinlock.
pub struct RcuList<T: Send + Sync + 'static> {
    head: AtomicPtr<Node<T>>,
    update: SpinLock<()>,
}

impl<T: Send + Sync + 'static> Default for RcuList<T> {
    fn default() -> Self {
        RcuList {
            head: AtomicPtr::new(ptr::null_mut()),
            update: SpinLock::new(()),
        }
    }
}

impl<T: Send + Sync + 'static> RcuList<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// `list_add_rcu()` at the head.
    pub fn add(&self, val: T) {
        let _g = self.update.lock();
        let n = Box::into_raw(Box::new(Node {
            val,
            next: AtomicPtr::new(self.head.load(Ordering::Relaxed)),
        }));
        self.head.store(n, Ordering::Release);
    }

    /// `list_del_rcu()` of the first element matching `pred`.
    pub fn remove(&self, pred: impl Fn(&T) -> bool) -> Option<RcuRetired<Node<T>>>
    where
        T: 'static,
    {
        let _g = self.update.lock();
        let mut link = &self.head;
        loop {
            let p = link.load(Ordering::Relaxed);
            if p.is_null() {
                return None;
            }
            // SAFETY: nodes are freed only after removal + a grace period,
            // and we hold the update lock, so no node reachable from the
            // head has been removed.
            let node = unsafe { &*p };
            if pred(&node.val) {
                link.store(node.next.load(Ordering::Relaxed), Ordering::Release);
                // SAFETY: `p` came from Box::into_raw and is now unlinked.
                return Some(RcuRetired(Some(unsafe { Box::from_raw(p) })));
            }
            link = &node.next;
        }
    }

    /// `list_for_each_entry_rcu()`.
    pub fn iter<'a>(&'a self, _guard: &'a RcuReadGuard) -> impl Iterator<Item = &'a T> + 'a {
        let mut p = self.head.load(Ordering::Acquire);
        std::iter::from_fn(move || {
            // SAFETY: as in RcuPointer::dereference; nodes reachable while
            // the guard is held stay allocated until after a grace period.
            let node = unsafe { p.as_ref()? };
            p = node.next.load(Ordering::Acquire);
            Some(&node.val)
        })
    }
}

impl<T: Send + Sync + 'static> Drop for RcuList<T> {
    fn drop(&mut self) {
        let mut p = *self.head.get_mut();
        while !p.is_null() {
            // SAFETY: we own every node; readers borrow `self`.
            let n = unsafe { Box::from_raw(p) };
            p = n.next.load(Ordering::Relaxed);
        }
    }
}
