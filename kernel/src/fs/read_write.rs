//! The read/write paths (`fs/read_write.c`): `read`, `write`, `readv`,
//! `writev`, `pread64`, `pwrite64`, `preadv`, `pwritev`, `lseek`.
//!
//! Seed 001, "AIO and vectored operations", routing:
//! * scalar `vfs_read`/`vfs_write` call the file's scalar `read`/`write`
//!   if it has one, else wrap the single buffer in an `IovIter` and call
//!   `read_iter`/`write_iter` (`new_sync_read`) — a vectorized file needs
//!   no scalar methods at all (`/dev/zero`, pipes);
//! * vectored `vfs_readv`/`vfs_writev` call `read_iter`/`write_iter` if
//!   present, else emulate with one scalar call per segment
//!   (`do_loop_readv_writev`), stopping at the first short transfer —
//!   a file with only scalar methods still gets readv (`/dev/null`);
//! * a file with neither gets `EINVAL`; a file not open for reading
//!   (writing) gets `EBADF`.
//!
//! Positions: files with `FMODE_ATOMIC_POS` read and update `f_pos` under
//! `f_pos_lock`, so concurrent reads through a shared descriptor never
//! see the same position; stream files have none, and their `pread`/
//! `pwrite`/`lseek` fail with `ESPIPE`.

use super::file::{File, Kiocb, FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, FMODE_STREAM};
use super::iov_iter::{IovIter, UBuf, MAX_RW_COUNT};
use uapi::errno::*;
use uapi::fcntl::*;

/// `rw_verify_area()`: the range must not wrap past `i64::MAX`.
fn rw_verify_area(file: &File, pos: i64, count: usize) -> Result<usize, Errno> {
    if file.f_mode() & FMODE_STREAM == 0 {
        if pos < 0 {
            return Err(EINVAL);
        }
        if pos.checked_add(count as i64).is_none() {
            return Err(EINVAL);
        }
    }
    Ok(count.min(MAX_RW_COUNT))
}

/// Run `f` with the file's position: under `f_pos_lock` for
/// `FMODE_ATOMIC_POS` files; stream files see 0 and store nothing.
fn with_f_pos<R>(file: &File, f: impl FnOnce(&mut i64) -> Result<R, Errno>) -> Result<R, Errno> {
    if file.f_mode() & FMODE_STREAM != 0 {
        let mut pos = 0;
        return f(&mut pos);
    }
    let _g = file.lock_pos();
    let mut pos = file.pos();
    let r = f(&mut pos);
    if r.is_ok() {
        file.set_pos(pos);
    }
    r
}

fn read_one(file: &File, buf: &mut UBuf<'_>, pos: &mut i64) -> Result<usize, Errno> {
    if !file.readable() {
        return Err(EBADF);
    }
    let count = rw_verify_area(file, *pos, buf.len())?;
    if count == 0 {
        return Ok(0);
    }
    if let Some(read) = file.f_op.read {
        return read(file, buf, pos);
    }
    let Some(read_iter) = file.f_op.read_iter else {
        return Err(EINVAL);
    };
    let mut iter = IovIter::from_ubuf(buf.reborrow());
    iter.truncate(count);
    let mut kiocb = Kiocb::new(file, *pos);
    let n = read_iter(&mut kiocb, &mut iter)?;
    *pos = kiocb.ki_pos;
    Ok(n)
}

fn write_one(file: &File, buf: &mut UBuf<'_>, pos: &mut i64) -> Result<usize, Errno> {
    if !file.writable() {
        return Err(EBADF);
    }
    let count = rw_verify_area(file, *pos, buf.len())?;
    if count == 0 {
        return Ok(0);
    }
    if let Some(write) = file.f_op.write {
        return write(file, buf, pos);
    }
    let Some(write_iter) = file.f_op.write_iter else {
        return Err(EINVAL);
    };
    let mut iter = IovIter::from_ubuf(buf.reborrow());
    iter.truncate(count);
    let mut kiocb = Kiocb::new(file, *pos);
    let n = write_iter(&mut kiocb, &mut iter)?;
    *pos = kiocb.ki_pos;
    Ok(n)
}

/// `do_iter_read()`/`do_iter_write()`.
fn iter_rw(file: &File, iter: &mut IovIter<'_>, pos: &mut i64, read: bool) -> Result<usize, Errno> {
    if read && !file.readable() || !read && !file.writable() {
        return Err(EBADF);
    }
    let count = rw_verify_area(file, *pos, iter.count())?;
    if count == 0 {
        return Ok(0);
    }
    iter.truncate(count);
    let vectored = if read {
        file.f_op.read_iter
    } else {
        file.f_op.write_iter
    };
    if let Some(f) = vectored {
        let mut kiocb = Kiocb::new(file, *pos);
        let n = f(&mut kiocb, iter)?;
        *pos = kiocb.ki_pos;
        return Ok(n);
    }
    // do_loop_readv_writev(): the scalar method, once per segment.
    let scalar = if read {
        file.f_op.read
    } else {
        file.f_op.write
    };
    let Some(f) = scalar else {
        return Err(EINVAL);
    };
    iter.for_each_segment(|seg| {
        let want = seg.len();
        let n = f(file, seg, pos)?;
        Ok((n, n == want))
    })
}

/// `vfs_read()`: one buffer at the file position (`read(2)`).
pub fn vfs_read(file: &File, buf: &mut UBuf<'_>) -> Result<usize, Errno> {
    with_f_pos(file, |pos| read_one(file, buf, pos))
}

/// `vfs_write()`: one buffer at the file position (`write(2)`).
pub fn vfs_write(file: &File, buf: &mut UBuf<'_>) -> Result<usize, Errno> {
    with_f_pos(file, |pos| write_one(file, buf, pos))
}

/// `kernel_read()`: read into a kernel buffer.
pub fn kernel_read(file: &File, buf: &mut [u8]) -> Result<usize, Errno> {
    vfs_read(file, &mut UBuf::KernelDest(buf))
}

/// `kernel_write()`: write from a kernel buffer.
pub fn kernel_write(file: &File, buf: &[u8]) -> Result<usize, Errno> {
    vfs_write(file, &mut UBuf::KernelSource(buf))
}

/// `vfs_readv()` (`readv(2)`).
pub fn vfs_readv(file: &File, iter: &mut IovIter<'_>) -> Result<usize, Errno> {
    with_f_pos(file, |pos| iter_rw(file, iter, pos, true))
}

/// `vfs_writev()` (`writev(2)`).
pub fn vfs_writev(file: &File, iter: &mut IovIter<'_>) -> Result<usize, Errno> {
    with_f_pos(file, |pos| iter_rw(file, iter, pos, false))
}

fn check_positional(file: &File, pos: i64, mode: u32) -> Result<(), Errno> {
    if file.f_mode() & mode == 0 {
        return Err(ESPIPE);
    }
    if pos < 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// `pread64(2)`: read at `pos` without moving the file position.
pub fn vfs_pread(file: &File, buf: &mut UBuf<'_>, pos: i64) -> Result<usize, Errno> {
    check_positional(file, pos, FMODE_PREAD)?;
    let mut p = pos;
    read_one(file, buf, &mut p)
}

/// `pwrite64(2)`.
pub fn vfs_pwrite(file: &File, buf: &mut UBuf<'_>, pos: i64) -> Result<usize, Errno> {
    check_positional(file, pos, FMODE_PWRITE)?;
    let mut p = pos;
    write_one(file, buf, &mut p)
}

/// `preadv(2)`.
pub fn vfs_preadv(file: &File, iter: &mut IovIter<'_>, pos: i64) -> Result<usize, Errno> {
    check_positional(file, pos, FMODE_PREAD)?;
    let mut p = pos;
    iter_rw(file, iter, &mut p, true)
}

/// `pwritev(2)`.
pub fn vfs_pwritev(file: &File, iter: &mut IovIter<'_>, pos: i64) -> Result<usize, Errno> {
    check_positional(file, pos, FMODE_PWRITE)?;
    let mut p = pos;
    iter_rw(file, iter, &mut p, false)
}

/// `vfs_llseek()` (`lseek(2)`): `ESPIPE` for files without a position.
pub fn vfs_llseek(file: &File, offset: i64, whence: i32) -> Result<i64, Errno> {
    if file.f_mode() & FMODE_LSEEK == 0 {
        return Err(ESPIPE);
    }
    if !(SEEK_SET..=SEEK_HOLE).contains(&whence) {
        return Err(EINVAL);
    }
    match file.f_op.llseek {
        Some(f) => f(file, offset, whence),
        None => Err(ESPIPE),
    }
}

/// `vfs_setpos()`: set `f_pos` if the result is valid.
fn vfs_setpos(file: &File, pos: i64, maxsize: i64) -> Result<i64, Errno> {
    if pos < 0 || pos > maxsize {
        return Err(EINVAL);
    }
    file.set_pos(pos);
    Ok(pos)
}

/// `generic_file_llseek()`: SEEK_SET/CUR/END against `i_size`;
/// SEEK_DATA/SEEK_HOLE treat the whole file as data (no holes).
pub fn generic_file_llseek(file: &File, offset: i64, whence: i32) -> Result<i64, Errno> {
    let _g = file.lock_pos();
    let size = file.f_inode.size();
    let pos = match whence {
        SEEK_SET => offset,
        SEEK_CUR => {
            if offset == 0 {
                return Ok(file.pos());
            }
            file.pos().checked_add(offset).ok_or(EINVAL)?
        }
        SEEK_END => size.checked_add(offset).ok_or(EINVAL)?,
        SEEK_DATA => {
            if offset < 0 || offset >= size {
                return Err(ENXIO);
            }
            offset
        }
        SEEK_HOLE => {
            if offset < 0 || offset >= size {
                return Err(ENXIO);
            }
            size
        }
        _ => return Err(EINVAL),
    };
    vfs_setpos(file, pos, i64::MAX)
}

/// `noop_llseek()`: succeed without moving.
pub fn noop_llseek(file: &File, _offset: i64, _whence: i32) -> Result<i64, Errno> {
    Ok(file.pos())
}

/// `dcache_dir_lseek()`-style seek for directories: SEEK_SET/SEEK_CUR to
/// an entry index.
pub fn dir_llseek(file: &File, offset: i64, whence: i32) -> Result<i64, Errno> {
    let _g = file.lock_pos();
    let pos = match whence {
        SEEK_SET => offset,
        SEEK_CUR => file.pos().checked_add(offset).ok_or(EINVAL)?,
        _ => return Err(EINVAL),
    };
    vfs_setpos(file, pos, i64::MAX)
}
