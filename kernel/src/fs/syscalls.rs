//! The file-system system calls (`SYSCALL_DEFINE`s of fs/open.c,
//! fs/read_write.c, fs/stat.c, fs/namei.c, fs/fcntl.c, fs/ioctl.c,
//! fs/select.c, fs/readdir.c, fs/pipe.c, fs/d_path.c, fs/namespace.c).
//!
//! Each takes raw register values, turns user pointers into
//! [`UBuf`]/[`IovIter`] over the caller's address space (so every copy goes
//! through the page tables and a bad pointer is `EFAULT`), and calls the VFS.
//! Scalar `read`/`write` and vectored `readv`/`writev` meet in the same
//! `vfs_*` paths (seed 001).

use super::fdtable::FilesStruct;
use super::file::File;
use super::iov_iter::{IoVec, IovIter, UBuf, UIO_MAXIOV};
use super::mount::Path;
use crate::alloc::KBox;
use crate::mm::gfp::GFP_KERNEL;
use crate::mm::MmStruct;
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;

/// `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

/// The calling process's address space and file table.
pub(crate) struct Caller {
    pub mm: Arc<MmStruct>,
    pub files: Arc<FilesStruct>,
    pub fs: Arc<super::fs_struct::FsStruct>,
}

pub(crate) fn caller() -> Result<Caller, Errno> {
    let me = crate::current();
    let p = me.process().ok_or(ENOSYS)?;
    Ok(Caller {
        mm: p.mm().ok_or(EFAULT)?,
        files: p.files(),
        fs: p.fs(),
    })
}

/// `struct filename`: a path name copied from user memory into an object
/// of the `names_cache` slab cache, NUL-terminated as in C; it reads as
/// the `str` it holds.
pub struct Filename {
    name: [u8; PATH_MAX],
}

impl std::ops::Deref for Filename {
    type Target = str;
    fn deref(&self) -> &str {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(PATH_MAX);
        // getname() only stores UTF-8
        std::str::from_utf8(&self.name[..len]).unwrap_or_default()
    }
}

/// `getname()`: a path from user memory, in a `names_cache` object
/// (`kmem:kmem_cache_alloc`, freed by `putname()` when the box drops).
pub(crate) fn getname(mm: &MmStruct, addr: u64) -> Result<KBox<Filename>, Errno> {
    let b = mm.strncpy_from_user(addr, PATH_MAX)?;
    if b.is_empty() {
        return Err(ENOENT);
    }
    std::str::from_utf8(&b).map_err(|_| EINVAL)?;
    // strncpy_from_user stopped before PATH_MAX bytes: the NUL fits
    let mut name = [0u8; PATH_MAX];
    name[..b.len()].copy_from_slice(&b);
    let k = crate::kernel();
    KBox::new_in(Filename { name }, k.vfs.names_cache()?, GFP_KERNEL)
}

fn fd_arg(v: u64) -> i32 {
    v as u32 as i32
}

/// The base directory of an `*at()` call.
fn dirfd_base(c: &Caller, dirfd: i32, name: &str) -> Result<Option<Path>, Errno> {
    if dirfd == AT_FDCWD || name.starts_with('/') {
        return Ok(None);
    }
    let f = c.files.fget(dirfd)?;
    if !f.f_inode.is_dir() {
        return Err(ENOTDIR);
    }
    Ok(Some(f.f_path.clone()))
}

fn user_len(len: u64) -> Result<usize, Errno> {
    // Linux clamps to MAX_RW_COUNT after access_ok(); a length that cannot
    // be a user range is EFAULT.
    if len > (1 << 47) {
        return Err(EFAULT);
    }
    Ok((len as usize).min(super::iov_iter::MAX_RW_COUNT))
}

/// The scalar read/write family: one user buffer, at the file position
/// (`pos: None`) or at `pos`.
fn scalar_rw(fd: u64, buf: u64, count: u64, dest: bool, pos: Option<i64>) -> Result<i64, Errno> {
    use super::read_write::*;
    let c = caller()?;
    let file = c.files.fget(fd_arg(fd))?;
    let mut ub = UBuf::User {
        mem: &*c.mm,
        base: buf,
        len: user_len(count)?,
        dest,
    };
    let r = match (dest, pos) {
        (true, None) => vfs_read(&file, &mut ub),
        (false, None) => vfs_write(&file, &mut ub),
        (true, Some(p)) => vfs_pread(&file, &mut ub, p),
        (false, Some(p)) => vfs_pwrite(&file, &mut ub, p),
    };
    r.map(|n| n as i64)
}

pub fn sys_read(fd: u64, buf: u64, count: u64) -> Result<i64, Errno> {
    scalar_rw(fd, buf, count, true, None)
}

pub fn sys_write(fd: u64, buf: u64, count: u64) -> Result<i64, Errno> {
    scalar_rw(fd, buf, count, false, None)
}

pub fn sys_pread64(fd: u64, buf: u64, count: u64, pos: u64) -> Result<i64, Errno> {
    scalar_rw(fd, buf, count, true, Some(pos as i64))
}

pub fn sys_pwrite64(fd: u64, buf: u64, count: u64, pos: u64) -> Result<i64, Errno> {
    scalar_rw(fd, buf, count, false, Some(pos as i64))
}

/// `import_iovec()`: the iovec array from user memory.
fn import_iovec(mm: &MmStruct, iov: u64, cnt: u64) -> Result<Vec<IoVec>, Errno> {
    if cnt > UIO_MAXIOV as u64 {
        return Err(EINVAL);
    }
    let mut raw = vec![0u8; cnt as usize * 16];
    mm.copy_from_user(&mut raw, iov)?;
    Ok(raw
        .chunks_exact(16)
        .map(|c| IoVec {
            iov_base: u64::from_ne_bytes(c[0..8].try_into().expect("8")),
            iov_len: u64::from_ne_bytes(c[8..16].try_into().expect("8")) as usize,
        })
        .collect())
}

fn vectored(fd: u64, iov: u64, cnt: u64, dest: bool, pos: Option<i64>) -> Result<i64, Errno> {
    let c = caller()?;
    let file = c.files.fget(fd_arg(fd))?;
    let vecs = import_iovec(&c.mm, iov, cnt)?;
    let mut it = IovIter::import_iovec(dest, &*c.mm, &vecs)?;
    use super::read_write::*;
    let r = match (dest, pos) {
        (true, None) => vfs_readv(&file, &mut it),
        (false, None) => vfs_writev(&file, &mut it),
        (true, Some(p)) => vfs_preadv(&file, &mut it, p),
        (false, Some(p)) => vfs_pwritev(&file, &mut it, p),
    };
    r.map(|n| n as i64)
}

pub fn sys_readv(fd: u64, iov: u64, cnt: u64) -> Result<i64, Errno> {
    vectored(fd, iov, cnt, true, None)
}

pub fn sys_writev(fd: u64, iov: u64, cnt: u64) -> Result<i64, Errno> {
    vectored(fd, iov, cnt, false, None)
}

pub fn sys_preadv(fd: u64, iov: u64, cnt: u64, pos: u64) -> Result<i64, Errno> {
    vectored(fd, iov, cnt, true, Some(pos as i64))
}

pub fn sys_pwritev(fd: u64, iov: u64, cnt: u64, pos: u64) -> Result<i64, Errno> {
    vectored(fd, iov, cnt, false, Some(pos as i64))
}

pub fn sys_lseek(fd: u64, off: u64, whence: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let file = c.files.fget(fd_arg(fd))?;
    let whence = i32::try_from(whence).map_err(|_| EINVAL)?;
    super::read_write::vfs_llseek(&file, off as i64, whence)
}

pub fn sys_openat(dirfd: u64, path: u64, flags: u64, mode: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let name = getname(&c.mm, path)?;
    let base = dirfd_base(&c, fd_arg(dirfd), &name)?;
    let flags = flags as u32;
    let fd = c.files.get_unused_fd_flags(flags)?;
    match super::namei::do_filp_open(
        &c.fs,
        base.as_ref(),
        &name,
        flags,
        mode as u32 & !c.fs.umask(),
    ) {
        Ok(f) => {
            c.files.fd_install(fd, f);
            Ok(fd as i64)
        }
        Err(e) => {
            c.files.put_unused_fd(fd);
            Err(e)
        }
    }
}

pub fn sys_open(path: u64, flags: u64, mode: u64) -> Result<i64, Errno> {
    sys_openat(AT_FDCWD as u32 as u64, path, flags, mode)
}

pub fn sys_creat(path: u64, mode: u64) -> Result<i64, Errno> {
    sys_openat(
        AT_FDCWD as u32 as u64,
        path,
        (O_CREAT | O_WRONLY | O_TRUNC) as u64,
        mode,
    )
}

pub fn sys_close(fd: u64) -> Result<i64, Errno> {
    let c = caller()?;
    c.files.close_fd(fd_arg(fd)).map(|_| 0)
}

/// `fsync`/`fdatasync`/`syncfs`: nothing is cached on the way to a disk
/// yet, so only the descriptor is checked.
pub fn sys_fsync(fd: u64) -> Result<i64, Errno> {
    caller()?.files.fget(fd_arg(fd)).map(|_| 0)
}

pub fn sys_dup(fd: u64) -> Result<i64, Errno> {
    caller()?.files.dup(fd_arg(fd)).map(i64::from)
}

pub fn sys_dup2(old: u64, new: u64) -> Result<i64, Errno> {
    caller()?
        .files
        .dup2(fd_arg(old), fd_arg(new))
        .map(i64::from)
}

pub fn sys_dup3(old: u64, new: u64, flags: u64) -> Result<i64, Errno> {
    caller()?
        .files
        .dup3(fd_arg(old), fd_arg(new), flags as u32)
        .map(i64::from)
}

pub fn sys_fcntl(fd: u64, cmd: u64, arg: u64) -> Result<i64, Errno> {
    caller()?.files.fcntl(fd_arg(fd), cmd as u32, arg)
}

pub fn sys_ioctl(fd: u64, cmd: u64, arg: u64) -> Result<i64, Errno> {
    let c = caller()?;
    super::ioctl::do_vfs_ioctl(&c.files, fd_arg(fd), cmd as u32, arg, &*c.mm)
}

pub fn sys_pipe2(fds: u64, flags: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let flags = flags as u32;
    // do_pipe2 validates the flags (EINVAL for anything else)
    let (r, w) = super::pipe::do_pipe2(flags)?;
    let rfd = c.files.install(r, flags)?;
    let wfd = match c.files.install(w, flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = c.files.close_fd(rfd);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&rfd.to_ne_bytes());
    b[4..].copy_from_slice(&wfd.to_ne_bytes());
    if let Err(e) = c.mm.copy_to_user(fds, &b) {
        let _ = c.files.close_fd(rfd);
        let _ = c.files.close_fd(wfd);
        return Err(e);
    }
    Ok(0)
}

fn put_stat(mm: &MmStruct, addr: u64, st: &super::inode::Kstat) -> Result<i64, Errno> {
    mm.copy_to_user(addr, &st.to_stat().to_bytes())?;
    Ok(0)
}

pub fn sys_fstat(fd: u64, statbuf: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let f = c.files.fget(fd_arg(fd))?;
    let st = super::namei::vfs_fstat(&f)?;
    put_stat(&c.mm, statbuf, &st)
}

pub fn sys_newfstatat(dirfd: u64, path: u64, statbuf: u64, flags: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let flags = flags as u32;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800) != 0 {
        return Err(EINVAL);
    }
    let raw = c.mm.strncpy_from_user(path, PATH_MAX)?;
    if raw.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(ENOENT);
        }
        return sys_fstat(dirfd, statbuf);
    }
    let name = String::from_utf8(raw).map_err(|_| EINVAL)?;
    let base = dirfd_base(&c, fd_arg(dirfd), &name)?;
    let st = super::namei::vfs_stat_at(&c.fs, base.as_ref(), &name)?;
    put_stat(&c.mm, statbuf, &st)
}

pub fn sys_stat(path: u64, statbuf: u64) -> Result<i64, Errno> {
    sys_newfstatat(AT_FDCWD as u32 as u64, path, statbuf, 0)
}

pub fn sys_faccessat(dirfd: u64, path: u64, mode: u64) -> Result<i64, Errno> {
    let c = caller()?;
    if mode & !7 != 0 {
        return Err(EINVAL);
    }
    let name = getname(&c.mm, path)?;
    let base = dirfd_base(&c, fd_arg(dirfd), &name)?;
    let st = super::namei::vfs_stat_at(&c.fs, base.as_ref(), &name)?;
    // Root passes read/write checks; execute needs some x bit (or a dir).
    if mode & 1 != 0 && st.mode & 0o111 == 0 && !s_isdir(st.mode) {
        return Err(EACCES);
    }
    Ok(0)
}

pub fn sys_getdents64(fd: u64, dirp: u64, count: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let f = c.files.fget(fd_arg(fd))?;
    let len = user_len(count)?;
    let mut it = IovIter::ubuf(true, &*c.mm, dirp, len);
    super::readdir::vfs_getdents(&f, &mut it).map(|n| n as i64)
}

pub fn sys_getcwd(buf: u64, size: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let cwd = super::namei::vfs_getcwd(&c.fs)?;
    let mut b = cwd.into_bytes();
    b.push(0);
    if b.len() as u64 > size {
        return Err(ERANGE);
    }
    c.mm.copy_to_user(buf, &b)?;
    Ok(b.len() as i64)
}

pub fn sys_chdir(path: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let name = getname(&c.mm, path)?;
    super::namei::vfs_chdir(&c.fs, None, &name).map(|_| 0)
}

pub fn sys_fchdir(fd: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let f = c.files.fget(fd_arg(fd))?;
    if !f.f_inode.is_dir() {
        return Err(ENOTDIR);
    }
    c.fs.set_pwd(f.f_path.clone()).map(|_| 0)
}

pub fn sys_mkdirat(dirfd: u64, path: u64, mode: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let name = getname(&c.mm, path)?;
    let base = dirfd_base(&c, fd_arg(dirfd), &name)?;
    super::namei::vfs_mkdir_at(
        &c.fs,
        base.as_ref(),
        &name,
        mode as u32 & 0o7777 & !c.fs.umask(),
    )
    .map(|_| 0)
}

pub fn sys_unlinkat(dirfd: u64, path: u64, flags: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let flags = flags as u32;
    if flags & !AT_REMOVEDIR != 0 {
        return Err(EINVAL);
    }
    let name = getname(&c.mm, path)?;
    let base = dirfd_base(&c, fd_arg(dirfd), &name)?;
    if flags & AT_REMOVEDIR != 0 {
        super::namei::vfs_rmdir_at(&c.fs, base.as_ref(), &name).map(|_| 0)
    } else {
        super::namei::vfs_unlink_at(&c.fs, base.as_ref(), &name).map(|_| 0)
    }
}

pub fn sys_umask(mask: u64) -> Result<i64, Errno> {
    Ok(caller()?.fs.set_umask(mask as u32 & 0o777) as i64)
}

pub fn sys_poll(fds: u64, nfds: u64, timeout_ms: u64) -> Result<i64, Errno> {
    let c = caller()?;
    let rlim = c.files.rlimit_nofile() as u64;
    if nfds > rlim.max(1024) {
        return Err(EINVAL);
    }
    let mut raw = vec![0u8; nfds as usize * 8];
    c.mm.copy_from_user(&mut raw, fds)?;
    // Negative fds are skipped (revents 0), unlike a bad fd (POLLNVAL).
    let mut index = Vec::new();
    let mut active = Vec::new();
    for (i, e) in raw.chunks_exact(8).enumerate() {
        let fd = i32::from_ne_bytes(e[0..4].try_into().expect("4"));
        if fd >= 0 {
            index.push(i);
            active.push(super::select::PollEntry {
                file: c.files.fget(fd).ok(),
                events: u16::from_ne_bytes(e[4..6].try_into().expect("2")) as u32,
                revents: 0,
            });
        }
    }
    let timeout = match timeout_ms as i32 {
        t if t < 0 => None,
        t => Some(crate::kernel::time::msecs_to_jiffies(t as u64)),
    };
    let n = match super::select::do_poll(&mut active, timeout) {
        Err(EINTR) => return Err(ERESTARTNOHAND),
        r => r?,
    };
    for e in raw.chunks_exact_mut(8) {
        e[6..8].fill(0);
    }
    for (e, &i) in active.iter().zip(&index) {
        raw[i * 8 + 6..i * 8 + 8].copy_from_slice(&(e.revents as u16).to_ne_bytes());
    }
    c.mm.copy_to_user(fds, &raw)?;
    Ok(n as i64)
}

pub fn sys_mount(dev: u64, dir: u64, fstype: u64, _flags: u64, _data: u64) -> Result<i64, Errno> {
    crate::kernel::sys::require_cap(crate::kernel::process::CAP_SYS_ADMIN)?;
    let c = caller()?;
    let dev = getname(&c.mm, dev)
        .map(|n| n.to_string())
        .unwrap_or_default();
    let dir = getname(&c.mm, dir)?;
    let fstype = getname(&c.mm, fstype)?;
    let at = super::namei::path_lookupat(&c.fs, None, &dir)?;
    if !at.inode().is_some_and(|i| i.is_dir()) {
        return Err(ENOTDIR);
    }
    crate::kernel().vfs.do_mount(&fstype, &dev, &at).map(|_| 0)
}

pub fn sys_umount2(dir: u64, flags: u64) -> Result<i64, Errno> {
    crate::kernel::sys::require_cap(crate::kernel::process::CAP_SYS_ADMIN)?;
    if flags & !0xf != 0 {
        return Err(EINVAL);
    }
    let c = caller()?;
    let dir = getname(&c.mm, dir)?;
    let at = super::namei::path_lookupat(&c.fs, None, &dir)?;
    crate::kernel().vfs.umount(&at).map(|_| 0)
}

/// Open `/dev/console` as fds 0, 1 and 2 (`console_on_rootfs`).
pub(crate) fn console_on_rootfs(files: &FilesStruct) -> Result<(), Errno> {
    let f: Arc<File> = super::namei::vfs_open("/dev/console", O_RDWR, 0)?;
    for _ in 0..3 {
        files.install(Arc::clone(&f), 0)?;
    }
    Ok(())
}
