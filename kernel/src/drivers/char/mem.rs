//! `/dev/null` and `/dev/zero` (`drivers/char/mem.c`), character major 1.
//!
//! Seed 001 shows both routes through the VFS here: `/dev/null` keeps the
//! old scalar `read`/`write` methods only, so `readv`/`writev` on it are
//! emulated with one scalar call per segment; `/dev/zero` has only the
//! vectored `read_iter`/`write_iter`, so a plain `read(2)` on it goes
//! through `read_iter` with a one-segment iterator.

use crate::fs::char_dev::register_chrdev_region;
use crate::fs::file::{File, FileOperations, Kiocb};
use crate::fs::iov_iter::{IovIter, UBuf};
use uapi::errno::{Errno, EFAULT};

pub const MEM_MAJOR: u32 = 1;
pub const NULL_MINOR: u32 = 3;
pub const ZERO_MINOR: u32 = 5;

/// `null_lseek()`: every seek lands at 0.
fn null_lseek(file: &File, _offset: i64, _whence: i32) -> Result<i64, Errno> {
    file.set_pos(0);
    Ok(0)
}

/// `read_null()`: end of file at once.
fn read_null(_file: &File, _buf: &mut UBuf<'_>, _pos: &mut i64) -> Result<usize, Errno> {
    Ok(0)
}

/// `write_null()`: everything is accepted and discarded.
fn write_null(_file: &File, buf: &mut UBuf<'_>, _pos: &mut i64) -> Result<usize, Errno> {
    Ok(buf.len())
}

/// `/dev/null`: scalar methods only.
pub static NULL_FOPS: FileOperations = FileOperations {
    llseek: Some(null_lseek),
    read: Some(read_null),
    write: Some(write_null),
    ..FileOperations::EMPTY
};

/// `read_iter_zero()`: fill the whole iterator with zeroes.
fn read_iter_zero(_iocb: &mut Kiocb<'_>, to: &mut IovIter<'_>) -> Result<usize, Errno> {
    let want = to.count();
    let n = to.zero(want);
    if n == 0 && want > 0 {
        return Err(EFAULT);
    }
    Ok(n)
}

/// `write_iter_zero()`: like /dev/null, consume everything.
fn write_iter_zero(_iocb: &mut Kiocb<'_>, from: &mut IovIter<'_>) -> Result<usize, Errno> {
    let n = from.count();
    from.advance(n);
    Ok(n)
}

/// `/dev/zero`: vectored methods only.
pub static ZERO_FOPS: FileOperations = FileOperations {
    llseek: Some(null_lseek),
    read_iter: Some(read_iter_zero),
    write_iter: Some(write_iter_zero),
    ..FileOperations::EMPTY
};

/// `chr_dev_init()` for the memory devices.
pub fn chr_dev_init() -> Result<(), Errno> {
    register_chrdev_region(MEM_MAJOR, NULL_MINOR, 1, "mem", &NULL_FOPS)?;
    register_chrdev_region(MEM_MAJOR, ZERO_MINOR, 1, "mem", &ZERO_FOPS)?;
    Ok(())
}
