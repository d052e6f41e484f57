//! File system calls: read/write and their positional and vectored forms,
//! open/close/stat, pipes, dup, fcntl, directories, mount and umount2.

use super::sc;
use crate::mem::{Layout, Scratch};
use crate::Result;
use uapi::fcntl::{LinuxDirent64, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW};
use uapi::stat::Stat;
use uapi::unistd::*;

pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize> {
    let s = Scratch::new(buf.len())?;
    let n = sc(__NR_read, &[fd as u64, s.addr(0), buf.len() as u64])? as usize;
    let n = n.min(buf.len());
    s.get(0, &mut buf[..n]);
    Ok(n)
}

pub fn write(fd: i32, buf: &[u8]) -> Result<usize> {
    let s = Scratch::new(buf.len())?;
    s.put(0, buf);
    Ok(sc(__NR_write, &[fd as u64, s.addr(0), buf.len() as u64])? as usize)
}

/// Write all of `buf`, retrying short writes.
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        let n = write(fd, buf)?;
        if n == 0 {
            return Err(uapi::errno::EIO);
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// Read until end of file.
pub fn read_to_end(fd: i32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16384];
    loop {
        let n = read(fd, &mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

pub fn pread64(fd: i32, buf: &mut [u8], off: i64) -> Result<usize> {
    let s = Scratch::new(buf.len())?;
    let n = sc(
        __NR_pread64,
        &[fd as u64, s.addr(0), buf.len() as u64, off as u64],
    )? as usize;
    let n = n.min(buf.len());
    s.get(0, &mut buf[..n]);
    Ok(n)
}

pub fn pwrite64(fd: i32, buf: &[u8], off: i64) -> Result<usize> {
    let s = Scratch::new(buf.len())?;
    s.put(0, buf);
    Ok(sc(
        __NR_pwrite64,
        &[fd as u64, s.addr(0), buf.len() as u64, off as u64],
    )? as usize)
}

/// Lay out an iovec array followed by the buffers it points to.
fn iovecs(lens: &[usize]) -> Result<(Scratch, Vec<usize>)> {
    let mut l = Layout::default();
    let iov = l.reserve(16 * lens.len());
    let offs: Vec<usize> = lens.iter().map(|&n| l.reserve(n)).collect();
    let s = l.build()?;
    for (i, (&o, &n)) in offs.iter().zip(lens).enumerate() {
        let mut e = [0u8; 16];
        e[..8].copy_from_slice(&s.addr(o).to_ne_bytes());
        e[8..].copy_from_slice(&(n as u64).to_ne_bytes());
        s.put(iov + 16 * i, &e);
    }
    Ok((s, offs))
}

pub fn readv(fd: i32, bufs: &mut [&mut [u8]]) -> Result<usize> {
    let lens: Vec<usize> = bufs.iter().map(|b| b.len()).collect();
    let (s, offs) = iovecs(&lens)?;
    let n = sc(__NR_readv, &[fd as u64, s.addr(0), bufs.len() as u64])? as usize;
    let mut left = n;
    for (b, o) in bufs.iter_mut().zip(offs) {
        let k = left.min(b.len());
        s.get(o, &mut b[..k]);
        left -= k;
    }
    Ok(n)
}

pub fn writev(fd: i32, bufs: &[&[u8]]) -> Result<usize> {
    let lens: Vec<usize> = bufs.iter().map(|b| b.len()).collect();
    let (s, offs) = iovecs(&lens)?;
    for (b, o) in bufs.iter().zip(offs) {
        s.put(o, b);
    }
    Ok(sc(__NR_writev, &[fd as u64, s.addr(0), bufs.len() as u64])? as usize)
}

pub fn openat(dirfd: i32, path: &str, flags: u32, mode: u32) -> Result<i32> {
    let mut l = Layout::default();
    let p = l.push_cstr(path)?;
    let s = l.build()?;
    Ok(sc(
        __NR_openat,
        &[dirfd as u64, s.addr(p), flags as u64, mode as u64],
    )? as i32)
}

pub fn open(path: &str, flags: u32, mode: u32) -> Result<i32> {
    openat(AT_FDCWD, path, flags, mode)
}

pub fn close(fd: i32) -> Result<()> {
    sc(__NR_close, &[fd as u64]).map(drop)
}

fn stat_out(s: &Scratch, off: usize) -> Stat {
    let mut b = [0u8; Stat::SIZE];
    s.get(off, &mut b);
    Stat::from_bytes(&b)
}

pub fn fstat(fd: i32) -> Result<Stat> {
    let s = Scratch::new(Stat::SIZE)?;
    sc(__NR_fstat, &[fd as u64, s.addr(0)])?;
    Ok(stat_out(&s, 0))
}

pub fn newfstatat(dirfd: i32, path: &str, flags: u32) -> Result<Stat> {
    let mut l = Layout::default();
    let st = l.reserve(Stat::SIZE);
    let p = l.push_cstr(path)?;
    let s = l.build()?;
    sc(
        __NR_newfstatat,
        &[dirfd as u64, s.addr(p), s.addr(st), flags as u64],
    )?;
    Ok(stat_out(&s, st))
}

pub fn stat(path: &str) -> Result<Stat> {
    newfstatat(AT_FDCWD, path, 0)
}

pub fn lstat(path: &str) -> Result<Stat> {
    newfstatat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)
}

pub fn lseek(fd: i32, off: i64, whence: i32) -> Result<u64> {
    Ok(sc(__NR_lseek, &[fd as u64, off as u64, whence as u64])? as u64)
}

pub fn pipe2(flags: u32) -> Result<(i32, i32)> {
    let s = Scratch::new(8)?;
    s.put(0, &[0xff; 8]);
    sc(__NR_pipe2, &[s.addr(0), flags as u64])?;
    let mut b = [0u8; 8];
    s.get(0, &mut b);
    Ok((
        i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
    ))
}

pub fn pipe() -> Result<(i32, i32)> {
    pipe2(0)
}

pub fn dup(fd: i32) -> Result<i32> {
    Ok(sc(__NR_dup, &[fd as u64])? as i32)
}

pub fn dup2(old: i32, new: i32) -> Result<i32> {
    Ok(sc(__NR_dup2, &[old as u64, new as u64])? as i32)
}

pub fn dup3(old: i32, new: i32, flags: u32) -> Result<i32> {
    Ok(sc(__NR_dup3, &[old as u64, new as u64, flags as u64])? as i32)
}

pub fn fcntl(fd: i32, cmd: u32, arg: u64) -> Result<i64> {
    sc(__NR_fcntl, &[fd as u64, cmd as u64, arg])
}

/// One getdents64 call with a `size`-byte buffer; an empty vector at the
/// end of the directory.
pub fn getdents64(fd: i32, size: usize) -> Result<Vec<LinuxDirent64>> {
    let s = Scratch::new(size)?;
    let n = sc(__NR_getdents64, &[fd as u64, s.addr(0), size as u64])? as usize;
    let buf = s.get_vec(0, n.min(size));
    LinuxDirent64::parse_all(&buf).ok_or(uapi::errno::EIO)
}

/// All entries of the directory at `path` (including `.` and `..`).
pub fn read_dir(path: &str) -> Result<Vec<LinuxDirent64>> {
    let fd = open(
        path,
        uapi::fcntl::O_RDONLY | uapi::fcntl::O_DIRECTORY | uapi::fcntl::O_CLOEXEC,
        0,
    )?;
    let mut all = Vec::new();
    let r = loop {
        match getdents64(fd, 32768) {
            Ok(v) if v.is_empty() => break Ok(all),
            Ok(v) => all.extend(v),
            Err(e) => break Err(e),
        }
    };
    let _ = close(fd);
    r
}

pub fn getcwd() -> Result<String> {
    let s = Scratch::new(uapi::fcntl::PATH_MAX)?;
    let n = sc(__NR_getcwd, &[s.addr(0), uapi::fcntl::PATH_MAX as u64])? as usize;
    let mut v = s.get_vec(0, n.min(uapi::fcntl::PATH_MAX));
    if let Some(z) = v.iter().position(|&b| b == 0) {
        v.truncate(z);
    }
    Ok(String::from_utf8_lossy(&v).into_owned())
}

fn path_call(nr: u64, path: &str, before: &[u64], after: &[u64]) -> Result<i64> {
    let mut l = Layout::default();
    let p = l.push_cstr(path)?;
    let s = l.build()?;
    let mut args = before.to_vec();
    args.push(s.addr(p));
    args.extend_from_slice(after);
    sc(nr, &args)
}

pub fn chdir(path: &str) -> Result<()> {
    path_call(__NR_chdir, path, &[], &[]).map(drop)
}

pub fn mkdirat(dirfd: i32, path: &str, mode: u32) -> Result<()> {
    path_call(__NR_mkdirat, path, &[dirfd as u64], &[mode as u64]).map(drop)
}

pub fn mkdir(path: &str, mode: u32) -> Result<()> {
    mkdirat(AT_FDCWD, path, mode)
}

pub fn unlinkat(dirfd: i32, path: &str, flags: u32) -> Result<()> {
    path_call(__NR_unlinkat, path, &[dirfd as u64], &[flags as u64]).map(drop)
}

pub fn unlink(path: &str) -> Result<()> {
    unlinkat(AT_FDCWD, path, 0)
}

pub fn rmdir(path: &str) -> Result<()> {
    unlinkat(AT_FDCWD, path, AT_REMOVEDIR)
}

/// mount(2); `data` is the filesystem-specific option string.
pub fn mount(
    source: &str,
    target: &str,
    fstype: &str,
    flags: u64,
    data: Option<&str>,
) -> Result<()> {
    let mut l = Layout::default();
    let a = l.push_cstr(source)?;
    let b = l.push_cstr(target)?;
    let c = l.push_cstr(fstype)?;
    let d = data.map(|d| l.push_cstr(d)).transpose()?;
    let s = l.build()?;
    let dp = d.map(|d| s.addr(d)).unwrap_or(0);
    sc(__NR_mount, &[s.addr(a), s.addr(b), s.addr(c), flags, dp]).map(drop)
}

/// umount2(2): detach the file system mounted on `path`.
pub fn umount2(path: &str, flags: u32) -> Result<()> {
    path_call(__NR_umount2, path, &[], &[flags as u64]).map(drop)
}

/// Read a whole file by path.
pub fn read_file(path: &str) -> Result<Vec<u8>> {
    let fd = open(path, uapi::fcntl::O_RDONLY | uapi::fcntl::O_CLOEXEC, 0)?;
    let r = read_to_end(fd);
    let _ = close(fd);
    r
}
