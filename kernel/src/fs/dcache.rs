//! The dentry cache: `struct dentry`, one name in one directory.
//!
//! A dentry binds a name to an inode (positive) or records that the name
//! does not exist (negative). Each holds a counted reference to its parent
//! (`d_parent`, as in Linux), and a directory's cached children sit in its
//! `d_subdirs` map, which is also the whole directory of dcache-backed
//! filesystems such as ramfs (`dcache_readdir`). Filesystems whose names
//! come and go outside the VFS (procfs: tasks exit) set
//! `always_delete_dentry` on their superblock: their dentries are never
//! hashed, so every walk asks the filesystem again.
//!
//! Invariants: a hashed dentry is in its parent's `d_subdirs` under
//! `d_name` and is positive; `d_delete` unhashes it (unlink, rmdir) while
//! holders (open files, a cwd) keep it alive; `d_lock` and the parent's
//! child map are leaf host locks, never held across a sleep. The
//! parent↔child reference cycle is broken by `shrink_dcache` when the
//! mount goes away.

use super::inode::Inode;
use super::mount::SuperBlock;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

pub struct Dentry {
    pub d_name: String,
    d_parent: Mutex<Option<Arc<Dentry>>>,
    d_inode: Mutex<Option<Arc<Inode>>>,
    d_subdirs: Mutex<BTreeMap<String, Arc<Dentry>>>,
    pub d_sb: Arc<SuperBlock>,
    /// Number of mounts on this dentry (`DCACHE_MOUNTED` while > 0).
    pub(crate) d_mounted: AtomicU32,
    d_hashed: AtomicBool,
}

impl Dentry {
    /// `d_make_root()`: the root of a superblock, its own parent.
    pub fn make_root(inode: Arc<Inode>) -> Arc<Dentry> {
        Arc::new(Dentry {
            d_name: "/".into(),
            d_parent: Mutex::new(None),
            d_sb: Arc::clone(&inode.i_sb),
            d_inode: Mutex::new(Some(inode)),
            d_subdirs: Mutex::new(BTreeMap::new()),
            d_mounted: AtomicU32::new(0),
            d_hashed: AtomicBool::new(true),
        })
    }

    /// `d_alloc()`: a negative, unhashed child of `parent`.
    pub fn alloc(parent: &Arc<Dentry>, name: &str) -> Arc<Dentry> {
        Arc::new(Dentry {
            d_name: name.to_string(),
            d_parent: Mutex::new(Some(Arc::clone(parent))),
            d_sb: Arc::clone(&parent.d_sb),
            d_inode: Mutex::new(None),
            d_subdirs: Mutex::new(BTreeMap::new()),
            d_mounted: AtomicU32::new(0),
            d_hashed: AtomicBool::new(false),
        })
    }

    pub fn inode(&self) -> Option<Arc<Inode>> {
        self.d_inode.lock().clone()
    }

    pub fn is_negative(&self) -> bool {
        self.d_inode.lock().is_none()
    }

    /// The parent, or `None` for a root.
    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.d_parent.lock().clone()
    }

    pub fn is_root(&self) -> bool {
        self.d_parent.lock().is_none()
    }

    /// `d_unhashed()`: removed from the namespace.
    pub fn is_unhashed(&self) -> bool {
        !self.d_hashed.load(Ordering::Acquire)
    }

    pub fn is_mountpoint(&self) -> bool {
        self.d_mounted.load(Ordering::Acquire) > 0
    }

    /// `d_instantiate()`: make the dentry positive.
    pub fn instantiate(&self, inode: Arc<Inode>) {
        *self.d_inode.lock() = Some(inode);
    }

    /// `d_lookup()`: a hashed child by name.
    pub fn lookup_child(&self, name: &str) -> Option<Arc<Dentry>> {
        self.d_subdirs.lock().get(name).cloned()
    }

    /// `d_add()` / `d_rehash()`: hash a positive child into its parent,
    /// unless the filesystem asked never to keep dentries.
    pub fn hash_child(self: &Arc<Self>, child: &Arc<Dentry>) {
        if self.d_sb.always_delete_dentry || child.is_negative() {
            return;
        }
        child.d_hashed.store(true, Ordering::Release);
        self.d_subdirs
            .lock()
            .insert(child.d_name.clone(), Arc::clone(child));
    }

    /// `d_delete()` + `__d_drop()`: remove the name from the namespace.
    pub fn d_delete(&self) {
        self.d_hashed.store(false, Ordering::Release);
        if let Some(p) = self.parent() {
            let mut c = p.d_subdirs.lock();
            if c.get(&self.d_name)
                .is_some_and(|d| std::ptr::eq(&**d, self))
            {
                c.remove(&self.d_name);
            }
        }
    }

    /// Hashed children, sorted by name, strictly after `after` if given
    /// (the cursor of `dcache_readdir`).
    pub fn children_after(&self, after: Option<&str>) -> Vec<Arc<Dentry>> {
        let c = self.d_subdirs.lock();
        match after {
            None => c.values().cloned().collect(),
            Some(a) => c
                .range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                .map(|(_, d)| Arc::clone(d))
                .collect(),
        }
    }

    /// `simple_empty()`: no positive children.
    pub fn is_empty_dir(&self) -> bool {
        self.d_subdirs.lock().values().all(|d| d.is_negative())
    }

    /// Break the parent↔child reference cycles below this dentry
    /// (`shrink_dcache_for_umount`).
    pub fn shrink_dcache(&self) {
        let children: Vec<Arc<Dentry>> = std::mem::take(&mut *self.d_subdirs.lock())
            .into_values()
            .collect();
        for c in children {
            c.shrink_dcache();
            *c.d_parent.lock() = None;
        }
    }
}

impl std::fmt::Debug for Dentry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dentry({:?})", self.d_name)
    }
}
