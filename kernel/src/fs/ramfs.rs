//! ramfs (`fs/ramfs/`, `fs/libfs.c`): a filesystem that lives entirely in
//! the dcache and in memory, the root filesystem of usk (`rootfs`).
//!
//! Directories are dcache-backed as in Linux: `lookup` never finds
//! anything (`simple_lookup`), a created entry is pinned in its parent's
//! child map, `readdir` walks that map with a per-open cursor
//! (`dcache_readdir`), and rmdir refuses a directory with positive
//! children (`simple_empty`). Regular files keep their bytes in a
//! `RwSem<Vec<u8>>` (the page cache comes later) and implement only the
//! vectored `read_iter`/`write_iter` (`generic_file_read_iter`/
//! `generic_file_write_iter`); `O_APPEND` writes go to the end under the
//! inode lock, so concurrent appends never overlap.
//!
//! Because the bytes are one dense host buffer, not a sparse page cache,
//! the largest file (`s_maxbytes`, [`ramfs_maxbytes`]) is the machine's
//! RAM: a write or truncate past it is `EFBIG` (`generic_write_checks`,
//! `inode_newsize_ok`), never a host allocation of the offset's size.
//!
//! Invariants: a directory's `nlink` is 2 + its subdirectories; `i_size`
//! equals the data length and never exceeds `ramfs_maxbytes()`; data and
//! size change only under `inode_lock`.

use super::dcache::Dentry;
use super::file::{DirContext, File, FileOperations, Kiocb, IOCB_APPEND};
use super::inode::{current_time, Iattr, Inode, InodeOperations};
use super::iov_iter::{IovIter, UBuf};
use super::mount::{FileSystemType, SuperBlock};
use super::read_write::{dir_llseek, generic_file_llseek};
use crate::kernel::locking::RwSem;
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;

pub const RAMFS_MAGIC: u64 = 0x8584_58f6;

/// `s_maxbytes` of ramfs in usk: the machine's RAM (see the module doc).
pub fn ramfs_maxbytes() -> usize {
    let bytes = crate::kernel().mm.totalram_pages().saturating_mul(4096);
    usize::try_from(bytes).unwrap_or(usize::MAX)
}

pub static RAMFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "ramfs",
    mount: ramfs_mount,
    nodev: true,
};

pub static ROOTFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "rootfs",
    mount: ramfs_mount,
    nodev: true,
};

/// The contents of a regular ramfs file.
pub struct RamData {
    pub data: RwSem<Vec<u8>>,
}

static RAMFS_DIR_IOPS: InodeOperations = InodeOperations {
    lookup: Some(simple_lookup),
    create: Some(ramfs_create),
    mkdir: Some(ramfs_mkdir),
    mknod: Some(ramfs_mknod),
    unlink: Some(simple_unlink),
    rmdir: Some(simple_rmdir),
    setattr: None,
};

static RAMFS_FILE_IOPS: InodeOperations = InodeOperations {
    setattr: Some(ramfs_setattr),
    ..InodeOperations::EMPTY
};

/// Regular files: vectored methods only (seed 001).
pub static RAMFS_FILE_FOPS: FileOperations = FileOperations {
    llseek: Some(generic_file_llseek),
    read_iter: Some(ramfs_read_iter),
    write_iter: Some(ramfs_write_iter),
    ..FileOperations::EMPTY
};

/// `simple_dir_operations`.
pub static SIMPLE_DIR_FOPS: FileOperations = FileOperations {
    open: Some(dcache_dir_open),
    llseek: Some(dir_llseek),
    read: Some(generic_read_dir),
    iterate_shared: Some(dcache_readdir),
    ..FileOperations::EMPTY
};

static SPECIAL_FOPS: FileOperations = FileOperations::EMPTY;

fn ramfs_mount(fs_type: &'static FileSystemType, _dev: &str) -> Result<Arc<Dentry>, Errno> {
    let sb = SuperBlock::new_anon(fs_type, RAMFS_MAGIC, false, Box::new(()));
    let root = ramfs_get_inode(&sb, S_IFDIR | 0o755, 0);
    Ok(Dentry::make_root(root))
}

/// `ramfs_get_inode()`.
pub fn ramfs_get_inode(sb: &Arc<SuperBlock>, mode: u32, dev: u64) -> Arc<Inode> {
    match mode & S_IFMT {
        S_IFREG => Inode::new(
            sb,
            0,
            mode,
            0,
            &RAMFS_FILE_IOPS,
            &RAMFS_FILE_FOPS,
            Box::new(RamData {
                data: RwSem::new(Vec::new()),
            }),
        ),
        S_IFDIR => {
            let i = Inode::new(
                sb,
                0,
                mode,
                0,
                &RAMFS_DIR_IOPS,
                &SIMPLE_DIR_FOPS,
                Box::new(()),
            );
            i.inc_nlink();
            i
        }
        // init_special_inode(): the device's operations come at open.
        _ => Inode::new(
            sb,
            0,
            mode,
            dev,
            &InodeOperations::EMPTY,
            &SPECIAL_FOPS,
            Box::new(()),
        ),
    }
}

fn touch_dir(dir: &Inode) {
    let now = current_time();
    dir.meta_mut(|m| {
        m.i_mtime = now;
        m.i_ctime = now;
    });
}

/// `simple_lookup()`: everything that exists is already in the dcache.
fn simple_lookup(_dir: &Arc<Inode>, _dentry: &Arc<Dentry>) -> Result<(), Errno> {
    Ok(())
}

fn ramfs_mknod(dir: &Arc<Inode>, dentry: &Arc<Dentry>, mode: u32, dev: u64) -> Result<(), Errno> {
    let inode = ramfs_get_inode(&dir.i_sb, mode, dev);
    if inode.is_dir() {
        dir.inc_nlink();
    }
    dentry.instantiate(inode);
    touch_dir(dir);
    Ok(())
}

fn ramfs_create(dir: &Arc<Inode>, dentry: &Arc<Dentry>, mode: u32) -> Result<(), Errno> {
    ramfs_mknod(dir, dentry, (mode & !S_IFMT) | S_IFREG, 0)
}

fn ramfs_mkdir(dir: &Arc<Inode>, dentry: &Arc<Dentry>, mode: u32) -> Result<(), Errno> {
    ramfs_mknod(dir, dentry, (mode & !S_IFMT) | S_IFDIR, 0)
}

/// `simple_unlink()`.
fn simple_unlink(dir: &Arc<Inode>, dentry: &Arc<Dentry>) -> Result<(), Errno> {
    let inode = dentry.inode().ok_or(ENOENT)?;
    inode.meta_mut(|m| m.i_ctime = current_time());
    inode.drop_nlink();
    touch_dir(dir);
    Ok(())
}

/// `simple_rmdir()`: the caller holds both inode locks.
fn simple_rmdir(dir: &Arc<Inode>, dentry: &Arc<Dentry>) -> Result<(), Errno> {
    if !dentry.is_empty_dir() {
        return Err(ENOTEMPTY);
    }
    let inode = dentry.inode().ok_or(ENOENT)?;
    inode.clear_nlink();
    dir.drop_nlink();
    touch_dir(dir);
    Ok(())
}

/// `simple_setattr()`: size changes truncate or zero-extend the data.
fn ramfs_setattr(dentry: &Arc<Dentry>, attr: &Iattr) -> Result<(), Errno> {
    let inode = dentry.inode().ok_or(ENOENT)?;
    if let Some(size) = attr.ia_size {
        let d = inode.private::<RamData>().ok_or(EINVAL)?;
        let mut data = d.data.down_write();
        let size_bytes = usize::try_from(size).map_err(|_| EFBIG)?;
        if size_bytes > ramfs_maxbytes() {
            return Err(EFBIG);
        }
        data.resize(size_bytes, 0);
        let now = current_time();
        inode.meta_mut(|m| {
            m.i_size = size;
            m.i_mtime = now;
            m.i_ctime = now;
        });
    }
    if let Some(mode) = attr.ia_mode {
        inode.set_mode_perm(mode);
    }
    Ok(())
}

/// `generic_file_read_iter()` over the in-memory data.
fn ramfs_read_iter(iocb: &mut Kiocb<'_>, to: &mut IovIter<'_>) -> Result<usize, Errno> {
    let inode = &iocb.ki_filp.f_inode;
    let d = inode.private::<RamData>().ok_or(EINVAL)?;
    let data = d.data.down_read();
    let pos = iocb.ki_pos.max(0) as usize;
    if pos >= data.len() {
        return Ok(0);
    }
    let n = to.copy_to_iter(&data[pos..]);
    drop(data);
    if n == 0 && to.count() > 0 {
        return Err(EFAULT);
    }
    iocb.ki_pos += n as i64;
    inode.meta_mut(|m| m.i_atime = current_time());
    Ok(n)
}

/// `generic_file_write_iter()`: under `inode_lock`; `IOCB_APPEND` starts
/// at `i_size` (`generic_write_checks`).
fn ramfs_write_iter(iocb: &mut Kiocb<'_>, from: &mut IovIter<'_>) -> Result<usize, Errno> {
    let inode = Arc::clone(&iocb.ki_filp.f_inode);
    let _g = inode.i_rwsem.lock();
    let d = inode.private::<RamData>().ok_or(EINVAL)?;
    let mut data = d.data.down_write();
    if iocb.ki_flags & IOCB_APPEND != 0 {
        iocb.ki_pos = data.len() as i64;
    }
    let pos = usize::try_from(iocb.ki_pos).map_err(|_| EINVAL)?;
    // generic_write_checks(): nothing at or past s_maxbytes, and a write
    // that would cross it is cut short.
    let max = ramfs_maxbytes();
    if pos >= max && from.count() > 0 {
        return Err(EFBIG);
    }
    let count = from.count().min(max - pos.min(max));
    let end = pos.checked_add(count).ok_or(EFBIG)?;
    let mut buf = vec![0u8; count];
    let n = from.copy_from_iter(&mut buf);
    if n == 0 && count > 0 {
        return Err(EFAULT);
    }
    let end = end - (count - n);
    if data.len() < end {
        data.resize(end, 0);
    }
    data[pos..end].copy_from_slice(&buf[..n]);
    let size = data.len() as i64;
    drop(data);
    let now = current_time();
    inode.meta_mut(|m| {
        m.i_size = size;
        m.i_mtime = now;
        m.i_ctime = now;
    });
    iocb.ki_pos = end as i64;
    Ok(n)
}

/// `generic_read_dir()`.
fn generic_read_dir(_f: &File, _b: &mut UBuf<'_>, _p: &mut i64) -> Result<usize, Errno> {
    Err(EISDIR)
}

/// The `dcache_readdir` cursor: (position, name of the last entry emitted).
struct DirCursor(parking_lot::Mutex<(i64, Option<String>)>);

fn dcache_dir_open(_inode: &Arc<Inode>, file: &File) -> Result<(), Errno> {
    file.set_private(Arc::new(DirCursor(parking_lot::Mutex::new((0, None)))))
}

/// `dcache_readdir()`: ".", "..", then the hashed children in name order.
fn dcache_readdir(file: &File, ctx: &mut DirContext<'_>) -> Result<(), Errno> {
    if !ctx.emit_dots(file) {
        return Ok(());
    }
    let dentry = &file.f_path.dentry;
    let cursor = file.private::<DirCursor>();
    let resume = cursor.and_then(|c| {
        let g = c.0.lock();
        (g.0 == ctx.pos).then(|| g.1.clone()).flatten()
    });
    let children = match &resume {
        Some(name) => dentry.children_after(Some(name)),
        None => dentry
            .children_after(None)
            .into_iter()
            .skip((ctx.pos - 2).max(0) as usize)
            .collect(),
    };
    for c in children {
        let Some(inode) = c.inode() else { continue };
        if !ctx.emit(&c.d_name, inode.i_ino, s_dt(inode.mode()), ctx.pos + 1) {
            break;
        }
        ctx.pos += 1;
        if let Some(cur) = cursor {
            *cur.0.lock() = (ctx.pos, Some(c.d_name.clone()));
        }
    }
    Ok(())
}
