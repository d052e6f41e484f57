//! `struct inode`, `struct inode_operations` and `struct kstat`.
//!
//! An inode is one file object of a filesystem: its type and permission
//! bits, link count, size, owner and times, the operations its filesystem
//! provides for it (`i_op` for names in a directory, `i_fop` for the open
//! file), and the filesystem's private data (`i_private`). Operation tables
//! are `&'static` structs of optional function pointers, like Linux's
//! `const struct inode_operations`: never writable, and `None` means "not
//! supported" exactly where Linux leaves a NULL.
//!
//! Invariants: the file type bits of `i_mode` never change after creation;
//! `i_rwsem` (`inode_lock`) serializes namespace changes in a directory
//! (create, mkdir, unlink, rmdir, slow lookups) and size changes of a
//! file; the metadata spinlock `i_lock` is a leaf lock.

use super::dcache::Dentry;
use super::file::FileOperations;
use super::mount::SuperBlock;
use crate::kernel::locking::Mutex;
use std::any::Any;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use uapi::errno::Errno;
use uapi::fcntl::*;
use uapi::stat::{Stat, Timespec};

/// Inode metadata guarded by `i_lock`.
#[derive(Clone, Copy, Debug, Default)]
pub struct InodeMeta {
    pub i_size: i64,
    pub i_nlink: u32,
    pub i_uid: u32,
    pub i_gid: u32,
    pub i_blocks: u64,
    pub i_atime: Timespec,
    pub i_mtime: Timespec,
    pub i_ctime: Timespec,
}

/// `struct iattr`: what `notify_change`/`setattr` changes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Iattr {
    pub ia_size: Option<i64>,
    pub ia_mode: Option<u32>,
}

/// `struct inode_operations` (the subset this VFS uses). `dir` is the
/// directory inode, `dentry` the (new or victim) entry in it.
/// `lookup`, `unlink`, `rmdir`: (directory, dentry).
pub type DirEntryFn = fn(dir: &Arc<Inode>, dentry: &Arc<Dentry>) -> Result<(), Errno>;
/// `create`, `mkdir`: (directory, new dentry, mode).
pub type CreateFn = fn(dir: &Arc<Inode>, dentry: &Arc<Dentry>, mode: u32) -> Result<(), Errno>;
/// `mknod`: (directory, new dentry, mode, device number).
pub type MknodFn =
    fn(dir: &Arc<Inode>, dentry: &Arc<Dentry>, mode: u32, dev: u64) -> Result<(), Errno>;
/// `setattr`: (dentry, changes).
pub type SetattrFn = fn(dentry: &Arc<Dentry>, attr: &Iattr) -> Result<(), Errno>;

pub struct InodeOperations {
    /// Fill `dentry` with the inode of its name (`d_add`), or leave it
    /// negative when the name does not exist.
    pub lookup: Option<DirEntryFn>,
    pub create: Option<CreateFn>,
    pub mkdir: Option<CreateFn>,
    pub mknod: Option<MknodFn>,
    pub unlink: Option<DirEntryFn>,
    pub rmdir: Option<DirEntryFn>,
    pub setattr: Option<SetattrFn>,
}

impl InodeOperations {
    /// No operation supported (files, special files).
    pub const EMPTY: InodeOperations = InodeOperations {
        lookup: None,
        create: None,
        mkdir: None,
        mknod: None,
        unlink: None,
        rmdir: None,
        setattr: None,
    };
}

pub struct Inode {
    pub i_ino: u64,
    pub i_sb: Arc<SuperBlock>,
    i_mode: AtomicU32,
    /// Device number of a character or block special file.
    pub i_rdev: u64,
    i_lock: parking_lot::Mutex<InodeMeta>,
    pub i_op: &'static InodeOperations,
    pub i_fop: &'static FileOperations,
    /// `inode_lock()` / `inode_unlock()`.
    pub i_rwsem: Mutex<()>,
    /// The filesystem's per-inode data (file contents, the procfs path...).
    pub i_private: Box<dyn Any + Send + Sync>,
}

/// `current_time()`: wall-clock time of the kernel (boot time + uptime).
pub fn current_time() -> Timespec {
    if !crate::kernel::sched::current::in_kernel_thread() {
        return Timespec::default();
    }
    let k = crate::kernel();
    let ns = k.clock.now_ns();
    Timespec {
        tv_sec: k.boot_time_secs as i64 + (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as i64,
    }
}

impl Inode {
    /// `new_inode()` + `inode_init_always()`: one link, times now, owned
    /// by root. `ino` 0 takes `get_next_ino()` from the superblock.
    pub fn new(
        sb: &Arc<SuperBlock>,
        ino: u64,
        mode: u32,
        rdev: u64,
        i_op: &'static InodeOperations,
        i_fop: &'static FileOperations,
        private: Box<dyn Any + Send + Sync>,
    ) -> Arc<Inode> {
        let now = current_time();
        Arc::new(Inode {
            i_ino: if ino == 0 { sb.get_next_ino() } else { ino },
            i_sb: Arc::clone(sb),
            i_mode: AtomicU32::new(mode),
            i_rdev: rdev,
            i_lock: parking_lot::Mutex::new(InodeMeta {
                i_nlink: 1,
                i_atime: now,
                i_mtime: now,
                i_ctime: now,
                ..Default::default()
            }),
            i_op,
            i_fop,
            i_rwsem: Mutex::new(()),
            i_private: private,
        })
    }

    pub fn mode(&self) -> u32 {
        self.i_mode.load(Ordering::Acquire)
    }

    /// chmod: permission bits only; the type is fixed.
    pub fn set_mode_perm(&self, perm: u32) {
        let m = self.mode();
        self.i_mode
            .store((m & S_IFMT) | (perm & S_IALLUGO), Ordering::Release);
        self.meta_mut(|m| m.i_ctime = current_time());
    }

    pub fn is_dir(&self) -> bool {
        s_isdir(self.mode())
    }
    pub fn is_reg(&self) -> bool {
        s_isreg(self.mode())
    }

    /// A copy of the metadata.
    pub fn meta(&self) -> InodeMeta {
        *self.i_lock.lock()
    }

    /// Change the metadata under `i_lock`.
    pub fn meta_mut<R>(&self, f: impl FnOnce(&mut InodeMeta) -> R) -> R {
        f(&mut self.i_lock.lock())
    }

    pub fn size(&self) -> i64 {
        self.i_lock.lock().i_size
    }

    pub fn nlink(&self) -> u32 {
        self.i_lock.lock().i_nlink
    }

    /// `inc_nlink` / `drop_nlink` / `clear_nlink`.
    pub fn inc_nlink(&self) {
        self.meta_mut(|m| m.i_nlink += 1);
    }
    pub fn drop_nlink(&self) {
        self.meta_mut(|m| {
            if m.i_nlink == 0 {
                crate::WARN!(true, "drop_nlink on an inode with no links");
            } else {
                m.i_nlink -= 1;
            }
        });
    }
    pub fn clear_nlink(&self) {
        self.meta_mut(|m| m.i_nlink = 0);
    }

    /// The filesystem's private data, if it has type `T`.
    pub fn private<T: Any>(&self) -> Option<&T> {
        self.i_private.downcast_ref::<T>()
    }

    /// `generic_fillattr()`.
    pub fn getattr(&self) -> Kstat {
        let m = self.meta();
        Kstat {
            dev: self.i_sb.s_dev,
            ino: self.i_ino,
            mode: self.mode(),
            nlink: m.i_nlink,
            uid: m.i_uid,
            gid: m.i_gid,
            rdev: self.i_rdev,
            size: m.i_size,
            blksize: 4096,
            blocks: if m.i_blocks != 0 {
                m.i_blocks
            } else {
                (m.i_size.max(0) as u64).div_ceil(512)
            },
            atime: m.i_atime,
            mtime: m.i_mtime,
            ctime: m.i_ctime,
        }
    }
}

impl std::fmt::Debug for Inode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "inode({}:{} mode {:o})",
            self.i_sb.s_id,
            self.i_ino,
            self.mode()
        )
    }
}

/// `struct kstat`: what `vfs_getattr` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kstat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: u32,
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Kstat {
    /// `cp_new_stat()`: the x86-64 `struct stat`.
    pub fn to_stat(&self) -> Stat {
        Stat {
            st_dev: self.dev,
            st_ino: self.ino,
            st_nlink: self.nlink as u64,
            st_mode: self.mode,
            st_uid: self.uid,
            st_gid: self.gid,
            st_rdev: self.rdev,
            st_size: self.size,
            st_blksize: self.blksize as i64,
            st_blocks: self.blocks as i64,
            st_atime: self.atime,
            st_mtime: self.mtime,
            st_ctime: self.ctime,
        }
    }
}
