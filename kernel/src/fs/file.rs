//! `struct file`, `struct file_operations` and `struct kiocb`.
//!
//! A file is one open of an inode: its access mode (`f_mode`), status
//! flags (`f_flags`: `O_APPEND`, `O_NONBLOCK`, ...), position and the
//! operations of its driver or filesystem. Descriptors, `dup`s and forks
//! share one `File` through an `Arc`; the last reference runs `release`
//! (`__fput`).
//!
//! Seed 001, "AIO and vectored operations": the data path of a file is
//! `read_iter`/`write_iter`, which get a `Kiocb` (file, position, flags —
//! what an asynchronous request needs) and an `IovIter` of any number of
//! segments. `read`/`write` are the optional scalar methods of drivers
//! that were never vectorized; `read_write.rs` routes every call to
//! whichever a file has (scalar calls through `read_iter`, readv through
//! one scalar call per segment).
//!
//! Invariants: `f_op` never changes once the file is published (character
//! devices pick their real operations in `chrdev_open` before that);
//! `f_pos` is changed only under `f_pos_lock` for files with
//! `FMODE_ATOMIC_POS` (regular files and directories); stream files
//! (`FMODE_STREAM`: pipes, ttys) have no position.

use super::inode::Inode;
use super::iov_iter::{IovIter, UBuf, UserMemory};
use super::mount::Path;
use super::select::PollTable;
use crate::kernel::locking::{Mutex, MutexGuard};
use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use uapi::errno::Errno;
use uapi::fcntl::*;

// f_mode bits (include/linux/fs.h).
pub const FMODE_READ: u32 = 0x1;
pub const FMODE_WRITE: u32 = 0x2;
pub const FMODE_LSEEK: u32 = 0x4;
pub const FMODE_PREAD: u32 = 0x8;
pub const FMODE_PWRITE: u32 = 0x10;
pub const FMODE_ATOMIC_POS: u32 = 0x8000;
pub const FMODE_STREAM: u32 = 0x0020_0000;
/// The file supports `IOCB_NOWAIT` (pipes).
pub const FMODE_NOWAIT: u32 = 0x0800_0000;

// kiocb flags.
pub const IOCB_APPEND: u32 = 1 << 1;
pub const IOCB_DIRECT: u32 = 1 << 2;
pub const IOCB_DSYNC: u32 = 1 << 4;
pub const IOCB_NOWAIT: u32 = 1 << 7;

/// Status flags `F_SETFL` may change (`SETFL_MASK`).
pub const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT | O_NOATIME | O_ASYNC;

pub type ReadFn = fn(file: &File, buf: &mut UBuf<'_>, pos: &mut i64) -> Result<usize, Errno>;
pub type IterFn = fn(iocb: &mut Kiocb<'_>, iter: &mut IovIter<'_>) -> Result<usize, Errno>;
pub type LlseekFn = fn(file: &File, offset: i64, whence: i32) -> Result<i64, Errno>;
pub type IterateFn = fn(file: &File, ctx: &mut DirContext<'_>) -> Result<(), Errno>;
pub type PollFn = fn(file: &File, pt: Option<&mut PollTable>) -> u32;
pub type IoctlFn = fn(file: &File, cmd: u32, arg: u64, mem: &dyn UserMemory) -> Result<i64, Errno>;
pub type OpenFn = fn(inode: &Arc<Inode>, file: &File) -> Result<(), Errno>;
pub type ReleaseFn = fn(inode: &Arc<Inode>, file: &File);

/// `struct file_operations`. `None` is Linux's NULL method.
pub struct FileOperations {
    pub llseek: Option<LlseekFn>,
    /// Scalar read into one buffer (legacy drivers).
    pub read: Option<ReadFn>,
    /// Scalar write from one buffer (legacy drivers).
    pub write: Option<ReadFn>,
    /// Vectored read: the one path for read, readv, pread and AIO.
    pub read_iter: Option<IterFn>,
    /// Vectored write.
    pub write_iter: Option<IterFn>,
    /// `getdents64`: emit entries from `ctx.pos` on.
    pub iterate_shared: Option<IterateFn>,
    /// Readiness mask (`POLL*`); registers on wait queues through `pt`.
    pub poll: Option<PollFn>,
    /// `unlocked_ioctl(file, cmd, arg)`; `mem` is the caller's address
    /// space for pointer arguments.
    pub unlocked_ioctl: Option<IoctlFn>,
    pub open: Option<OpenFn>,
    /// Last reference gone (`__fput`).
    pub release: Option<ReleaseFn>,
}

impl FileOperations {
    pub const EMPTY: FileOperations = FileOperations {
        llseek: None,
        read: None,
        write: None,
        read_iter: None,
        write_iter: None,
        iterate_shared: None,
        poll: None,
        unlocked_ioctl: None,
        open: None,
        release: None,
    };
}

pub struct File {
    pub f_path: Path,
    pub f_inode: Arc<Inode>,
    pub f_op: &'static FileOperations,
    f_flags: AtomicU32,
    f_mode: AtomicU32,
    /// `FMODE_OPENED`: `open` succeeded, so `release` is owed.
    opened: AtomicBool,
    f_pos_lock: Mutex<()>,
    f_pos: AtomicI64,
    private_data: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl File {
    /// `alloc_file()`: a file on `path` with `fops`. `f_mode` is derived
    /// from the access mode of `flags` plus `extra_mode`.
    pub fn new(
        path: Path,
        inode: Arc<Inode>,
        fops: &'static FileOperations,
        flags: u32,
        extra_mode: u32,
    ) -> File {
        let mut mode = extra_mode;
        match flags & O_ACCMODE {
            O_RDONLY => mode |= FMODE_READ,
            O_WRONLY => mode |= FMODE_WRITE,
            O_RDWR => mode |= FMODE_READ | FMODE_WRITE,
            _ => {}
        }
        if mode & FMODE_STREAM == 0 {
            mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
            if inode.is_reg() || inode.is_dir() {
                mode |= FMODE_ATOMIC_POS;
            }
        }
        File {
            f_path: path,
            f_inode: inode,
            f_op: fops,
            f_flags: AtomicU32::new(flags & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)),
            f_mode: AtomicU32::new(mode),
            opened: AtomicBool::new(false),
            f_pos_lock: Mutex::new(()),
            f_pos: AtomicI64::new(0),
            private_data: OnceLock::new(),
        }
    }

    pub fn flags(&self) -> u32 {
        self.f_flags.load(Ordering::Acquire)
    }

    /// `setfl()`: change the `SETFL_MASK` bits only.
    pub fn set_status_flags(&self, arg: u32) {
        let _ = self
            .f_flags
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                Some((f & !SETFL_MASK) | (arg & SETFL_MASK))
            });
    }

    pub fn is_nonblock(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }

    pub fn f_mode(&self) -> u32 {
        self.f_mode.load(Ordering::Acquire)
    }

    pub fn readable(&self) -> bool {
        self.f_mode() & FMODE_READ != 0
    }

    pub fn writable(&self) -> bool {
        self.f_mode() & FMODE_WRITE != 0
    }

    /// `stream_open()`: the file has no position (pipes, ttys); pread,
    /// pwrite and lseek fail with `ESPIPE`.
    pub fn stream_open(&self) {
        let _ = self
            .f_mode
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |m| {
                Some(
                    (m | FMODE_STREAM)
                        & !(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS),
                )
            });
    }

    /// `do_dentry_open()`'s tail: run `f_op.open` and mark the file
    /// opened (so the last `fput` calls `release`).
    pub fn do_open(&self) -> Result<(), Errno> {
        if let Some(open) = self.f_op.open {
            open(&self.f_inode, self)?;
        }
        self.opened.store(true, Ordering::Release);
        Ok(())
    }

    pub fn inode(&self) -> &Arc<Inode> {
        &self.f_inode
    }

    /// `f_pos` (racy snapshot unless the pos lock is held).
    pub fn pos(&self) -> i64 {
        self.f_pos.load(Ordering::Acquire)
    }

    pub fn set_pos(&self, pos: i64) {
        self.f_pos.store(pos, Ordering::Release);
    }

    /// `fdget_pos()`: serialize position updates of a shared file.
    pub fn lock_pos(&self) -> Option<MutexGuard<'_, ()>> {
        (self.f_mode() & FMODE_ATOMIC_POS != 0).then(|| self.f_pos_lock.lock())
    }

    /// `file->private_data`, set once by `open`.
    pub fn set_private(&self, p: Arc<dyn Any + Send + Sync>) -> Result<(), Errno> {
        self.private_data.set(p).map_err(|_| uapi::errno::EBUSY)
    }

    pub fn private<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.private_data.get().and_then(|p| p.downcast_ref::<T>())
    }

    pub fn private_arc<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.private_data
            .get()
            .cloned()
            .and_then(|p| p.downcast::<T>().ok())
    }
}

impl Drop for File {
    /// `__fput()`: the last reference is gone.
    fn drop(&mut self) {
        if !self.opened.load(Ordering::Acquire) {
            return;
        }
        if let Some(rel) = self.f_op.release {
            if crate::kernel::sched::current::in_kernel_thread() {
                rel(&self.f_inode.clone(), self);
            }
        }
    }
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "file({:?}, flags {:o})", self.f_inode, self.flags())
    }
}

/// `struct kiocb`: one I/O request on a file.
pub struct Kiocb<'f> {
    pub ki_filp: &'f File,
    pub ki_pos: i64,
    pub ki_flags: u32,
}

impl<'f> Kiocb<'f> {
    /// `init_sync_kiocb()`: flags from the file (`O_APPEND` → `IOCB_APPEND`,
    /// `O_NONBLOCK` → `IOCB_NOWAIT` for files that support it).
    pub fn new(file: &'f File, pos: i64) -> Self {
        let fl = file.flags();
        let mut ki_flags = 0;
        if fl & O_APPEND != 0 {
            ki_flags |= IOCB_APPEND;
        }
        if fl & O_NONBLOCK != 0 {
            ki_flags |= IOCB_NOWAIT;
        }
        if fl & O_DIRECT != 0 {
            ki_flags |= IOCB_DIRECT;
        }
        if fl & O_DSYNC != 0 {
            ki_flags |= IOCB_DSYNC;
        }
        Kiocb {
            ki_filp: file,
            ki_pos: pos,
            ki_flags,
        }
    }

    pub fn nowait(&self) -> bool {
        self.ki_flags & IOCB_NOWAIT != 0
    }
}

/// `struct dir_context`: where `iterate_shared` emits entries.
pub struct DirContext<'a> {
    /// Position of the next entry to emit; the filesystem advances it.
    pub pos: i64,
    actor: &'a mut dyn FnMut(&str, u64, u8, i64) -> bool,
}

impl<'a> DirContext<'a> {
    pub fn new(pos: i64, actor: &'a mut dyn FnMut(&str, u64, u8, i64) -> bool) -> Self {
        DirContext { pos, actor }
    }

    /// `dir_emit()`: false when the caller's buffer is full (stop, and do
    /// not advance `pos`). `next_pos` is the `d_off` of the record.
    pub fn emit(&mut self, name: &str, ino: u64, d_type: u8, next_pos: i64) -> bool {
        (self.actor)(name, ino, d_type, next_pos)
    }

    /// `dir_emit_dots()`: "." and ".." at positions 0 and 1.
    pub fn emit_dots(&mut self, file: &File) -> bool {
        if self.pos == 0 {
            if !self.emit(".", file.f_inode.i_ino, DT_DIR, 1) {
                return false;
            }
            self.pos = 1;
        }
        if self.pos == 1 {
            let parent_ino = file
                .f_path
                .dentry
                .parent()
                .and_then(|p| p.inode())
                .map(|i| i.i_ino)
                .unwrap_or(file.f_inode.i_ino);
            if !self.emit("..", parent_ino, DT_DIR, 2) {
                return false;
            }
            self.pos = 2;
        }
        true
    }
}
