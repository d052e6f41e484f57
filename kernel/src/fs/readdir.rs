//! `getdents64(2)` (`fs/readdir.c`): the filesystem's `iterate_shared`
//! emits entries through a `DirContext`; `filldir64` packs them as
//! `struct linux_dirent64` records (the layout in `uapi::fcntl`) until the
//! caller's buffer is full. A buffer too small for even the first record
//! is `EINVAL`; the end of the directory returns 0. The directory
//! position advances only past records that were delivered, under
//! `f_pos_lock`.

use super::file::{DirContext, File};
use super::iov_iter::IovIter;
use uapi::errno::*;
use uapi::fcntl::LinuxDirent64;

/// `iterate_dir()` + `filldir64`: fill `iter` with records; bytes written.
pub fn vfs_getdents(file: &File, iter: &mut IovIter<'_>) -> Result<usize, Errno> {
    let Some(iterate) = file.f_op.iterate_shared else {
        return Err(ENOTDIR);
    };
    if !file.f_inode.is_dir() {
        return Err(ENOTDIR);
    }
    let count = iter.count();
    let _g = file.lock_pos();
    let mut out: Vec<u8> = Vec::new();
    let mut too_small = false;
    let mut actor = |name: &str, ino: u64, d_type: u8, next: i64| -> bool {
        let reclen = LinuxDirent64::reclen(name.len());
        if out.len() + reclen > count {
            if out.is_empty() {
                too_small = true;
            }
            return false;
        }
        LinuxDirent64 {
            d_ino: ino,
            d_off: next,
            d_type,
            d_name: name.to_string(),
        }
        .encode(&mut out);
        true
    };
    let (r, pos) = {
        let mut ctx = DirContext::new(file.pos(), &mut actor);
        let r = iterate(file, &mut ctx);
        (r, ctx.pos)
    };
    r?;
    if too_small {
        return Err(EINVAL);
    }
    if iter.copy_to_iter(&out) < out.len() {
        return Err(EFAULT);
    }
    file.set_pos(pos);
    Ok(out.len())
}

/// Read a whole directory as parsed records (for in-kernel callers).
pub fn vfs_readdir_all(file: &File) -> Result<Vec<LinuxDirent64>, Errno> {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = vfs_getdents(file, &mut IovIter::dest(&mut buf))?;
        if n == 0 {
            return Ok(all);
        }
        all.extend(LinuxDirent64::parse_all(&buf[..n]).ok_or(EIO)?);
    }
}
