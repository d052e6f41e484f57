//! Pipes (`fs/pipe.c`): `pipe2(2)`'s pair of files over one ring buffer.
//!
//! The `pipe_inode_info` ([`Pipe`]) is kzalloc'd, as `alloc_pipe_info()`
//! does; its ring holds 64 KiB (16 pages, `PIPE_DEF_BUFFERS`), resizable with
//! `F_SETPIPE_SZ`. Semantics are Linux's: a write of at most `PIPE_BUF`
//! (4096) bytes is atomic — it waits until the whole of it fits and goes
//! in under the pipe mutex in one piece, so concurrent writers never
//! interleave inside it; a larger write goes in as space appears and may
//! interleave. A read returns what is there (at least one byte), waiting
//! only while the pipe is empty and has writers; empty with no writers is
//! end of file (0). A write with no readers fails with `EPIPE` and sends
//! the writer `SIGPIPE` (kernel threads ignore it). `O_NONBLOCK` turns every wait into
//! `EAGAIN` (unless some bytes were already transferred). A signal ends a
//! wait with `ERESTARTSYS` (or the partial count).
//!
//! Seed 001: pipe files implement only `read_iter`/`write_iter`; `read`,
//! `write`, `readv` and `writev` all arrive through them.
//!
//! Locking: `mutex` (a sleeping lock: copies to user memory may fault)
//! guards the ring; the byte count and the reader/writer counts are
//! mirrored in atomics so wait conditions can be checked without it.
//! Readers sleep on `rd_wait`, writers on `wr_wait`; every state change
//! wakes the other side with a poll key.

use super::file::{File, FileOperations, Kiocb, FMODE_READ, FMODE_STREAM, FMODE_WRITE};
use super::inode::{Inode, InodeOperations};
use super::iov_iter::IovIter;
use super::mount::{FileSystemType, Path, SuperBlock};
use super::select::{poll_wait, PollTable};
use crate::alloc::KBox;
use crate::kernel::locking::Mutex;
use crate::kernel::sched::wait::{wait_event_interruptible, WaitQueueHead};
use crate::mm::gfp::{__GFP_ZERO, GFP_KERNEL_ACCOUNT};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;
use uapi::poll::*;

pub const PAGE_SIZE: usize = 4096;
/// `PIPE_DEF_BUFFERS`.
pub const PIPE_DEF_BUFFERS: usize = 16;
/// Default capacity: 16 pages.
pub const PIPE_DEF_SIZE: usize = PIPE_DEF_BUFFERS * PAGE_SIZE;
/// `/proc/sys/fs/pipe-max-size` default.
pub const PIPE_MAX_SIZE: usize = 1 << 20;
pub const PIPEFS_MAGIC: u64 = 0x5049_5045;

pub static PIPEFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "pipefs",
    mount: pipefs_mount,
    nodev: true,
};

fn pipefs_mount(
    fs_type: &'static FileSystemType,
    _dev: &str,
) -> Result<Arc<super::dcache::Dentry>, Errno> {
    let sb = SuperBlock::new_anon(fs_type, PIPEFS_MAGIC, true, Box::new(()));
    let root = Inode::new(
        &sb,
        0,
        S_IFDIR | 0o700,
        0,
        &InodeOperations::EMPTY,
        &FileOperations::EMPTY,
        Box::new(()),
    );
    Ok(super::dcache::Dentry::make_root(root))
}

/// `struct pipe_inode_info`.
pub struct Pipe {
    mutex: Mutex<VecDeque<u8>>,
    /// Bytes in the ring (mirror of the deque's length).
    len: AtomicUsize,
    /// Capacity in bytes.
    size: AtomicUsize,
    readers: AtomicUsize,
    writers: AtomicUsize,
    pub rd_wait: Arc<WaitQueueHead>,
    pub wr_wait: Arc<WaitQueueHead>,
}

/// The pipe as the inode holds it: a kzalloc'd `pipe_inode_info`, shared
/// by the inode and the calls using it.
pub type PipeRef = Arc<KBox<Pipe>>;

impl Pipe {
    /// `alloc_pipe_info()`: `kzalloc(sizeof(struct pipe_inode_info),
    /// GFP_KERNEL_ACCOUNT)`.
    fn alloc() -> Result<PipeRef, Errno> {
        let pipe = Pipe {
            mutex: Mutex::new(VecDeque::with_capacity(PIPE_DEF_SIZE)),
            len: AtomicUsize::new(0),
            size: AtomicUsize::new(PIPE_DEF_SIZE),
            readers: AtomicUsize::new(0),
            writers: AtomicUsize::new(0),
            rd_wait: Arc::new(WaitQueueHead::new()),
            wr_wait: Arc::new(WaitQueueHead::new()),
        };
        Ok(Arc::new(KBox::new(pipe, GFP_KERNEL_ACCOUNT | __GFP_ZERO)?))
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.size.load(Ordering::Acquire)
    }

    pub fn readers(&self) -> usize {
        self.readers.load(Ordering::Acquire)
    }

    pub fn writers(&self) -> usize {
        self.writers.load(Ordering::Acquire)
    }

    fn free(&self) -> usize {
        self.capacity().saturating_sub(self.len())
    }
}

/// `pipefifo_fops`: vectored methods only.
pub static PIPEFIFO_FOPS: FileOperations = FileOperations {
    read_iter: Some(pipe_read),
    write_iter: Some(pipe_write),
    poll: Some(pipe_poll),
    unlocked_ioctl: Some(pipe_ioctl),
    release: Some(pipe_release),
    ..FileOperations::EMPTY
};

fn get_pipe(file: &File) -> Result<&PipeRef, Errno> {
    file.f_inode.private::<PipeRef>().ok_or(EBADF)
}

/// `pipe_read()`.
fn pipe_read(iocb: &mut Kiocb<'_>, to: &mut IovIter<'_>) -> Result<usize, Errno> {
    let pipe = Arc::clone(get_pipe(iocb.ki_filp)?);
    if to.count() == 0 {
        return Ok(0);
    }
    loop {
        let mut ring = pipe.mutex.lock();
        if !ring.is_empty() {
            let (a, b) = ring.as_slices();
            let mut n = to.copy_to_iter(a);
            if n == a.len() {
                n += to.copy_to_iter(b);
            }
            if n == 0 {
                return Err(EFAULT);
            }
            ring.drain(..n);
            pipe.len.store(ring.len(), Ordering::Release);
            drop(ring);
            pipe.wr_wait
                .wake_up_interruptible_sync_poll((POLLOUT | POLLWRNORM) as usize);
            return Ok(n);
        }
        drop(ring);
        if pipe.writers() == 0 {
            return Ok(0);
        }
        if iocb.nowait() {
            return Err(EAGAIN);
        }
        wait_event_interruptible(&pipe.rd_wait, || !pipe.is_empty() || pipe.writers() == 0)?;
    }
}

/// `pipe_write()`.
fn pipe_write(iocb: &mut Kiocb<'_>, from: &mut IovIter<'_>) -> Result<usize, Errno> {
    let pipe = Arc::clone(get_pipe(iocb.ki_filp)?);
    let total = from.count();
    if total == 0 {
        return Ok(0);
    }
    let atomic = total <= PIPE_BUF;
    let mut written = 0;
    loop {
        if pipe.readers() == 0 {
            if written > 0 {
                return Ok(written);
            }
            let _ =
                crate::kernel::signal::send_signal(&crate::current(), uapi::signal::SIGPIPE, false);
            return Err(EPIPE);
        }
        let mut ring = pipe.mutex.lock();
        let free = pipe.capacity().saturating_sub(ring.len());
        let left = total - written;
        let fits = if atomic { free >= left } else { free > 0 };
        if fits {
            let n = left.min(free);
            // Copy from user memory straight into the ring's new tail (no
            // bounce buffer), then drop what a fault left uncopied.
            let old = ring.len();
            ring.resize(old + n, 0);
            let c = {
                let (a, b) = ring.as_mut_slices();
                let (a_new, b_new) = if b.len() >= n {
                    let bl = b.len();
                    (&mut a[..0], &mut b[bl - n..])
                } else {
                    let (al, k) = (a.len(), n - b.len());
                    (&mut a[al - k..], b)
                };
                let mut c = from.copy_from_iter(a_new);
                if c == a_new.len() {
                    c += from.copy_from_iter(b_new);
                }
                c
            };
            ring.truncate(old + c);
            pipe.len.store(ring.len(), Ordering::Release);
            drop(ring);
            written += c;
            if c > 0 {
                pipe.rd_wait
                    .wake_up_interruptible_sync_poll((POLLIN | POLLRDNORM) as usize);
            }
            if c < n {
                return if written > 0 {
                    Ok(written)
                } else {
                    Err(EFAULT)
                };
            }
            if written == total {
                return Ok(written);
            }
            continue;
        }
        drop(ring);
        if iocb.nowait() {
            return if written > 0 {
                Ok(written)
            } else {
                Err(EAGAIN)
            };
        }
        let need = if atomic { total - written } else { 1 };
        let r =
            wait_event_interruptible(&pipe.wr_wait, || pipe.free() >= need || pipe.readers() == 0);
        if let Err(e) = r {
            return if written > 0 { Ok(written) } else { Err(e) };
        }
    }
}

/// `pipe_poll()`.
fn pipe_poll(file: &File, mut pt: Option<&mut PollTable>) -> u32 {
    let Ok(pipe) = get_pipe(file) else {
        return POLLERR;
    };
    let mode = file.f_mode();
    if mode & FMODE_READ != 0 {
        poll_wait(pt.as_deref_mut(), &pipe.rd_wait);
    }
    if mode & FMODE_WRITE != 0 {
        poll_wait(pt, &pipe.wr_wait);
    }
    let mut mask = 0;
    if mode & FMODE_READ != 0 {
        if !pipe.is_empty() {
            mask |= POLLIN | POLLRDNORM;
        }
        if pipe.writers() == 0 {
            mask |= POLLHUP;
        }
    }
    if mode & FMODE_WRITE != 0 {
        if pipe.free() > 0 {
            mask |= POLLOUT | POLLWRNORM;
        }
        if pipe.readers() == 0 {
            mask |= POLLERR;
        }
    }
    mask
}

/// `pipe_ioctl()`: `FIONREAD`.
fn pipe_ioctl(
    file: &File,
    cmd: u32,
    arg: u64,
    mem: &dyn super::iov_iter::UserMemory,
) -> Result<i64, Errno> {
    let pipe = get_pipe(file)?;
    match cmd {
        uapi::termios::FIONREAD => {
            mem.copy_to_user(arg, &(pipe.len() as i32).to_ne_bytes())?;
            Ok(0)
        }
        _ => Err(ENOTTY),
    }
}

/// `pipe_release()`: one end closed; wake the other side.
fn pipe_release(inode: &Arc<Inode>, file: &File) {
    let Some(pipe) = inode.private::<PipeRef>() else {
        return;
    };
    let mode = file.f_mode();
    if mode & FMODE_READ != 0 {
        pipe.readers.fetch_sub(1, Ordering::AcqRel);
    }
    if mode & FMODE_WRITE != 0 {
        pipe.writers.fetch_sub(1, Ordering::AcqRel);
    }
    pipe.rd_wait
        .wake_up_poll((POLLIN | POLLRDNORM | POLLHUP) as usize);
    pipe.wr_wait
        .wake_up_poll((POLLOUT | POLLWRNORM | POLLERR) as usize);
}

/// `pipe_fcntl()`: `F_GETPIPE_SZ` / `F_SETPIPE_SZ`.
pub fn pipe_fcntl(file: &File, cmd: u32, arg: u64) -> Result<i64, Errno> {
    let pipe = get_pipe(file)?;
    match cmd {
        F_GETPIPE_SZ => Ok(pipe.capacity() as i64),
        F_SETPIPE_SZ => {
            let want = usize::try_from(arg).map_err(|_| EINVAL)?;
            if want > PIPE_MAX_SIZE {
                return Err(EPERM);
            }
            let size = want.max(PAGE_SIZE).next_power_of_two();
            let ring = pipe.mutex.lock();
            if ring.len() > size {
                return Err(EBUSY);
            }
            pipe.size.store(size, Ordering::Release);
            drop(ring);
            pipe.wr_wait.wake_up_poll((POLLOUT | POLLWRNORM) as usize);
            Ok(size as i64)
        }
        _ => Err(EINVAL),
    }
}

/// `do_pipe2()`/`create_pipe_files()`: the read end and the write end.
/// Flags: `O_NONBLOCK` and `O_CLOEXEC` (the caller applies the latter to
/// the descriptors); packet mode (`O_DIRECT`) is not implemented.
pub fn do_pipe2(flags: u32) -> Result<(Arc<File>, Arc<File>), Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    let k = crate::kernel();
    let mnt = k.vfs.pipe_mnt()?;
    let pipe = Pipe::alloc()?;
    let inode = Inode::new(
        &mnt.mnt_sb,
        0,
        S_IFIFO | 0o600,
        0,
        &InodeOperations::EMPTY,
        &PIPEFIFO_FOPS,
        Box::new(Arc::clone(&pipe)),
    );
    let dentry = super::dcache::Dentry::alloc(&mnt.mnt_root, &format!("pipe:[{}]", inode.i_ino));
    dentry.instantiate(Arc::clone(&inode));
    let path = Path {
        mnt: Arc::clone(&mnt),
        dentry,
    };
    pipe.readers.store(1, Ordering::Release);
    pipe.writers.store(1, Ordering::Release);
    let nb = flags & O_NONBLOCK;
    let rd = File::new(
        path.clone(),
        Arc::clone(&inode),
        &PIPEFIFO_FOPS,
        O_RDONLY | nb,
        FMODE_STREAM,
    );
    let wr = File::new(path, inode, &PIPEFIFO_FOPS, O_WRONLY | nb, FMODE_STREAM);
    rd.do_open()?;
    wr.do_open()?;
    Ok((Arc::new(rd), Arc::new(wr)))
}

/// The pipe behind a pipe file (for tests and `/proc`).
pub fn file_pipe(file: &File) -> Option<PipeRef> {
    file.f_inode.private::<PipeRef>().cloned()
}
