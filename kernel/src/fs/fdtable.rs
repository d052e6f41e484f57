//! `struct files_struct`: a process's descriptor table (`fs/file.c`) and
//! `fcntl` (`fs/fcntl.c`).
//!
//! A descriptor maps to a shared `File` plus its own close-on-exec bit.
//! New descriptors take the lowest free number (`next_fd` remembers where
//! to start looking); numbers at or above the `RLIMIT_NOFILE` limit (1024
//! by default) are never handed out (`EMFILE`). `get_unused_fd_flags`
//! reserves a number that `fd_install` fills later, so a syscall can
//! reserve before it opens and publish after. Threads with `CLONE_FILES`
//! share the table (`Arc`); fork copies it (`dup_fd`), sharing the files.
//!
//! Locking: `file_lock` is a spinlock and nothing sleeps under it; files
//! replaced or closed are dropped after it is released, so their `release`
//! method (which may sleep) never runs under the lock.

use super::file::File;
use crate::kernel::locking::SpinLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;

/// `INR_OPEN_CUR`: the default `RLIMIT_NOFILE`.
pub const INR_OPEN_CUR: usize = 1024;
/// `NR_OPEN` (`fs.nr_open`): the largest allowed limit.
pub const NR_OPEN: usize = 1 << 20;

#[derive(Clone)]
enum Slot {
    Empty,
    /// Reserved by `get_unused_fd_flags`, not yet installed.
    Reserved,
    File(Arc<File>),
}

#[derive(Clone)]
struct FdTable {
    fds: Vec<Slot>,
    close_on_exec: Vec<bool>,
    next_fd: usize,
}

impl FdTable {
    fn ensure(&mut self, fd: usize) {
        if fd >= self.fds.len() {
            let n = (fd + 1).next_power_of_two().max(64);
            self.fds.resize(n, Slot::Empty);
            self.close_on_exec.resize(n, false);
        }
    }

    /// `alloc_fd(start, end, flags)`: lowest free slot in `[start, end)`.
    fn alloc(&mut self, start: usize, end: usize, cloexec: bool) -> Result<usize, Errno> {
        // Every descriptor below next_fd is in use.
        let mut fd = start.max(self.next_fd);
        while fd < self.fds.len() && !matches!(self.fds[fd], Slot::Empty) {
            fd += 1;
        }
        if fd >= end {
            return Err(EMFILE);
        }
        self.ensure(fd);
        self.fds[fd] = Slot::Reserved;
        self.close_on_exec[fd] = cloexec;
        if start <= self.next_fd {
            self.next_fd = fd + 1;
        }
        Ok(fd)
    }

    fn release(&mut self, fd: usize) -> Slot {
        if fd >= self.fds.len() {
            return Slot::Empty;
        }
        self.close_on_exec[fd] = false;
        if fd < self.next_fd {
            self.next_fd = fd;
        }
        std::mem::replace(&mut self.fds[fd], Slot::Empty)
    }

    fn get(&self, fd: usize) -> Option<&Arc<File>> {
        match self.fds.get(fd) {
            Some(Slot::File(f)) => Some(f),
            _ => None,
        }
    }
}

pub struct FilesStruct {
    file_lock: SpinLock<FdTable>,
    /// `rlimit(RLIMIT_NOFILE)`.
    nofile: AtomicUsize,
}

fn fd_index(fd: i32) -> Result<usize, Errno> {
    usize::try_from(fd).map_err(|_| EBADF)
}

impl FilesStruct {
    pub fn new() -> Arc<FilesStruct> {
        Arc::new(FilesStruct {
            file_lock: SpinLock::new(FdTable {
                fds: Vec::new(),
                close_on_exec: Vec::new(),
                next_fd: 0,
            }),
            nofile: AtomicUsize::new(INR_OPEN_CUR),
        })
    }

    /// `dup_fd()`: fork's copy (same files, same close-on-exec bits;
    /// reserved-but-uninstalled slots are not copied).
    pub fn dup_fd(&self) -> Arc<FilesStruct> {
        let mut t = self.file_lock.lock().clone();
        for (i, s) in t.fds.iter_mut().enumerate() {
            if matches!(s, Slot::Reserved) {
                *s = Slot::Empty;
                t.close_on_exec[i] = false;
            }
        }
        t.next_fd = t
            .fds
            .iter()
            .position(|s| matches!(s, Slot::Empty))
            .unwrap_or(t.fds.len());
        Arc::new(FilesStruct {
            file_lock: SpinLock::new(t),
            nofile: AtomicUsize::new(self.nofile.load(Ordering::Relaxed)),
        })
    }

    pub fn rlimit_nofile(&self) -> usize {
        self.nofile.load(Ordering::Relaxed)
    }

    /// `setrlimit(RLIMIT_NOFILE)`: `EPERM` above `NR_OPEN`.
    pub fn set_rlimit_nofile(&self, n: usize) -> Result<(), Errno> {
        if n > NR_OPEN {
            return Err(EPERM);
        }
        self.nofile.store(n, Ordering::Relaxed);
        Ok(())
    }

    /// `get_unused_fd_flags()`: reserve the lowest free descriptor.
    pub fn get_unused_fd_flags(&self, flags: u32) -> Result<i32, Errno> {
        let end = self.rlimit_nofile();
        let fd = self
            .file_lock
            .lock()
            .alloc(0, end, flags & O_CLOEXEC != 0)?;
        Ok(fd as i32)
    }

    /// `put_unused_fd()`: give back a reservation that was not used.
    pub fn put_unused_fd(&self, fd: i32) {
        if let Ok(i) = fd_index(fd) {
            let mut t = self.file_lock.lock();
            if matches!(t.fds.get(i), Some(Slot::Reserved)) {
                t.release(i);
            }
        }
    }

    /// `fd_install()`: publish `file` in a reserved slot.
    pub fn fd_install(&self, fd: i32, file: Arc<File>) {
        let i = fd as usize;
        let mut t = self.file_lock.lock();
        match t.fds.get(i) {
            Some(Slot::Reserved) => t.fds[i] = Slot::File(file),
            _ => {
                drop(t);
                crate::BUG_ON!(true);
            }
        }
    }

    /// Reserve and install in one step; the new descriptor.
    pub fn install(&self, file: Arc<File>, flags: u32) -> Result<i32, Errno> {
        let fd = self.get_unused_fd_flags(flags)?;
        self.fd_install(fd, file);
        Ok(fd)
    }

    /// `fget()`: the file behind `fd`, or `EBADF`.
    pub fn fget(&self, fd: i32) -> Result<Arc<File>, Errno> {
        let i = fd_index(fd)?;
        self.file_lock.lock().get(i).cloned().ok_or(EBADF)
    }

    /// `close_fd()`: `EBADF` if `fd` is not open. The file's last
    /// reference (if this was it) is dropped outside the lock.
    pub fn close_fd(&self, fd: i32) -> Result<(), Errno> {
        let i = fd_index(fd)?;
        let mut t = self.file_lock.lock();
        if t.get(i).is_none() {
            return Err(EBADF);
        }
        let old = t.release(i);
        drop(t);
        drop(old);
        Ok(())
    }

    /// `dup(2)`.
    pub fn dup(&self, oldfd: i32) -> Result<i32, Errno> {
        let f = self.fget(oldfd)?;
        self.install(f, 0)
    }

    /// `do_dup2()`: make `newfd` refer to `file`, closing what was there.
    fn do_dup2(&self, file: Arc<File>, newfd: i32, cloexec: bool) -> Result<i32, Errno> {
        let i = fd_index(newfd)?;
        if i >= self.rlimit_nofile() {
            return Err(EBADF);
        }
        let mut t = self.file_lock.lock();
        t.ensure(i);
        if matches!(t.fds[i], Slot::Reserved) {
            return Err(EBUSY);
        }
        let old = std::mem::replace(&mut t.fds[i], Slot::File(file));
        t.close_on_exec[i] = cloexec;
        drop(t);
        drop(old);
        Ok(newfd)
    }

    /// `dup2(2)`: `oldfd == newfd` returns `newfd` if it is open.
    pub fn dup2(&self, oldfd: i32, newfd: i32) -> Result<i32, Errno> {
        let f = self.fget(oldfd)?;
        if oldfd == newfd {
            return Ok(newfd);
        }
        self.do_dup2(f, newfd, false)
    }

    /// `dup3(2)`: `EINVAL` for equal descriptors or flags other than
    /// `O_CLOEXEC`.
    pub fn dup3(&self, oldfd: i32, newfd: i32, flags: u32) -> Result<i32, Errno> {
        if flags & !O_CLOEXEC != 0 {
            return Err(EINVAL);
        }
        if oldfd == newfd {
            return Err(EINVAL);
        }
        let f = self.fget(oldfd)?;
        self.do_dup2(f, newfd, flags & O_CLOEXEC != 0)
    }

    /// `f_dupfd()`: lowest free descriptor `>= from`.
    pub fn f_dupfd(&self, from: usize, file: Arc<File>, cloexec: bool) -> Result<i32, Errno> {
        let end = self.rlimit_nofile();
        if from >= end {
            return Err(EINVAL);
        }
        let fd = self.file_lock.lock().alloc(from, end, cloexec)?;
        self.fd_install(fd as i32, file);
        Ok(fd as i32)
    }

    pub fn get_close_on_exec(&self, fd: i32) -> Result<bool, Errno> {
        let i = fd_index(fd)?;
        let t = self.file_lock.lock();
        t.get(i).ok_or(EBADF)?;
        Ok(t.close_on_exec[i])
    }

    pub fn set_close_on_exec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        let i = fd_index(fd)?;
        let mut t = self.file_lock.lock();
        t.get(i).ok_or(EBADF)?;
        t.close_on_exec[i] = on;
        Ok(())
    }

    /// `do_close_on_exec()`: at exec, close every close-on-exec descriptor.
    pub fn do_close_on_exec(&self) -> usize {
        let mut t = self.file_lock.lock();
        let mut closed = Vec::new();
        for i in 0..t.fds.len() {
            if t.close_on_exec[i] && matches!(t.fds[i], Slot::File(_)) {
                closed.push(t.release(i));
            }
        }
        drop(t);
        closed.len()
    }

    /// `exit_files()`/`close_files()`: close everything.
    pub fn close_all(&self) {
        let mut t = self.file_lock.lock();
        let old: Vec<Slot> = (0..t.fds.len()).map(|i| t.release(i)).collect();
        drop(t);
        drop(old);
    }

    /// `fdt->max_fds` as `/proc/<pid>/status` prints it (`FDSize`): the
    /// table size, in steps of 64, that holds the highest open descriptor.
    pub fn max_fds(&self) -> usize {
        let t = self.file_lock.lock();
        let highest = t.fds.iter().rposition(|s| matches!(s, Slot::File(_)));
        highest.map_or(64, |fd| (fd + 64) / 64 * 64)
    }

    /// Open descriptors and their files, ascending (`/proc/<pid>/fd`).
    pub fn open_fds(&self) -> Vec<(i32, Arc<File>)> {
        let t = self.file_lock.lock();
        t.fds
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Slot::File(f) => Some((i as i32, Arc::clone(f))),
                _ => None,
            })
            .collect()
    }

    /// `do_fcntl()` for the descriptor-level commands.
    pub fn fcntl(&self, fd: i32, cmd: u32, arg: u64) -> Result<i64, Errno> {
        let file = self.fget(fd)?;
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                let from = usize::try_from(arg).map_err(|_| EINVAL)?;
                self.f_dupfd(from, file, cmd == F_DUPFD_CLOEXEC)
                    .map(|v| v as i64)
            }
            F_GETFD => Ok(if self.get_close_on_exec(fd)? {
                FD_CLOEXEC as i64
            } else {
                0
            }),
            F_SETFD => {
                self.set_close_on_exec(fd, arg as u32 & FD_CLOEXEC != 0)?;
                Ok(0)
            }
            F_GETFL => Ok(file.flags() as i64),
            F_SETFL => {
                file.set_status_flags(arg as u32);
                Ok(0)
            }
            F_GETPIPE_SZ | F_SETPIPE_SZ => super::pipe::pipe_fcntl(&file, cmd, arg),
            _ => Err(EINVAL),
        }
    }
}
