//! Path name lookup and the namespace operations built on it
//! (`fs/namei.c`, `fs/open.c`, `fs/stat.c`).
//!
//! A walk starts at the root (absolute names) or at a base directory (the
//! cwd, or a directory fd for the `*at` calls), and takes one component at
//! a time: `.` stays, `..` goes up but never above the root and crosses
//! from a mount's root to its mount point (`follow_dotdot`), any other
//! name is looked up in the dcache (`lookup_fast`) or asked of the
//! filesystem under the directory's `inode_lock` (`lookup_slow`); after
//! each step the walk descends into whatever is mounted there.
//!
//! Errors are Linux's: an empty name `ENOENT`; a name of `PATH_MAX` bytes
//! or more, or a component longer than `NAME_MAX`, `ENAMETOOLONG`; a
//! missing component `ENOENT`; a non-directory in the middle (or before a
//! trailing slash) `ENOTDIR`; creating an existing name `EEXIST`; unlink
//! of a directory `EISDIR`; rmdir of a non-empty directory `ENOTEMPTY`,
//! of `.` `EINVAL`, of a mount point or root `EBUSY`.
//!
//! Locking: namespace changes hold the parent's `inode_lock`; rmdir also
//! holds the victim's (parent before child), and a directory removed that
//! way is dead (`nlink == 0`): lookups and creations in it fail `ENOENT`.

use super::dcache::Dentry;
use super::file::File;
use super::fs_struct::FsStruct;
use super::inode::{Iattr, Inode, Kstat};
use super::mount::Path;
use crate::kernel;
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;

/// The last component of a parent walk (`LAST_NORM`, `LAST_DOT`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Last {
    Norm(String),
    Dot,
    DotDot,
    Root,
}

/// A parent walk's result (`path_parentat`).
pub struct Parent {
    pub path: Path,
    pub last: Last,
    /// The name ended with `/`.
    pub trailing_slash: bool,
}

fn check_name(name: &str) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(ENOENT);
    }
    if name.len() >= PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    Ok(())
}

fn components(name: &str) -> Result<Vec<&str>, Errno> {
    let v: Vec<&str> = name.split('/').filter(|c| !c.is_empty()).collect();
    if v.iter().any(|c| c.len() > NAME_MAX) {
        return Err(ENAMETOOLONG);
    }
    Ok(v)
}

/// A dead directory: removed by rmdir while still in use.
fn is_dead_dir(inode: &Inode) -> bool {
    inode.is_dir() && inode.nlink() == 0
}

/// `lookup_one` with the directory's `inode_lock` already held by the
/// caller: dcache first, then the filesystem. May return a negative
/// dentry.
pub fn lookup_one_locked(dir: &Arc<Dentry>, name: &str) -> Result<Arc<Dentry>, Errno> {
    if let Some(d) = dir.lookup_child(name) {
        return Ok(d);
    }
    let inode = dir.inode().ok_or(ENOENT)?;
    if !inode.is_dir() {
        return Err(ENOTDIR);
    }
    if is_dead_dir(&inode) {
        return Err(ENOENT);
    }
    let lookup = inode.i_op.lookup.ok_or(ENOTDIR)?;
    let d = Dentry::alloc(dir, name);
    lookup(&inode, &d)?;
    dir.hash_child(&d);
    Ok(d)
}

/// `lookup_fast` then `lookup_slow` (under the directory's lock).
pub fn lookup_one(dir: &Arc<Dentry>, name: &str) -> Result<Arc<Dentry>, Errno> {
    if let Some(d) = dir.lookup_child(name) {
        return Ok(d);
    }
    let inode = dir.inode().ok_or(ENOENT)?;
    if !inode.is_dir() {
        return Err(ENOTDIR);
    }
    let _g = inode.i_rwsem.lock();
    lookup_one_locked(dir, name)
}

/// `follow_dotdot()`.
fn follow_dotdot(p: &mut Path, root: &Path) {
    let vfs = &kernel().vfs;
    loop {
        if p.same(root) {
            break;
        }
        if Arc::ptr_eq(&p.dentry, &p.mnt.mnt_root) {
            match (p.mnt.parent().cloned(), p.mnt.mountpoint().cloned()) {
                (Some(pm), Some(mp)) => {
                    p.mnt = pm;
                    p.dentry = mp;
                    continue;
                }
                _ => break,
            }
        }
        if let Some(parent) = p.dentry.parent() {
            p.dentry = parent;
        }
        break;
    }
    vfs.follow_mount(p);
}

/// One step of the walk from the directory `p`.
fn walk_component(p: &mut Path, name: &str, root: &Path) -> Result<(), Errno> {
    let inode = p.inode().ok_or(ENOENT)?;
    if !inode.is_dir() {
        return Err(ENOTDIR);
    }
    match name {
        "." => Ok(()),
        ".." => {
            follow_dotdot(p, root);
            Ok(())
        }
        _ => {
            let d = lookup_one(&p.dentry, name)?;
            if d.is_negative() {
                return Err(ENOENT);
            }
            p.dentry = d;
            kernel().vfs.follow_mount(p);
            Ok(())
        }
    }
}

fn start_path(fs: &FsStruct, base: Option<&Path>, name: &str) -> (Path, Path) {
    let root = fs.root();
    let start = if name.starts_with('/') {
        root.clone()
    } else {
        base.cloned().unwrap_or_else(|| fs.pwd())
    };
    (root, start)
}

/// `path_lookupat()`: resolve `name` to a positive path.
pub fn path_lookupat(fs: &FsStruct, base: Option<&Path>, name: &str) -> Result<Path, Errno> {
    check_name(name)?;
    let comps = components(name)?;
    let (root, mut p) = start_path(fs, base, name);
    if p.inode().is_none() {
        return Err(ENOENT);
    }
    for c in &comps {
        walk_component(&mut p, c, &root)?;
    }
    let inode = p.inode().ok_or(ENOENT)?;
    if name.ends_with('/') && !inode.is_dir() {
        return Err(ENOTDIR);
    }
    Ok(p)
}

/// `path_parentat()`: resolve all but the last component.
pub fn path_parentat(fs: &FsStruct, base: Option<&Path>, name: &str) -> Result<Parent, Errno> {
    check_name(name)?;
    let mut comps = components(name)?;
    let (root, mut p) = start_path(fs, base, name);
    let trailing_slash = name.ends_with('/') && !comps.is_empty();
    let last = match comps.pop() {
        None => Last::Root,
        Some(".") => Last::Dot,
        Some("..") => Last::DotDot,
        Some(n) => Last::Norm(n.to_string()),
    };
    for c in &comps {
        walk_component(&mut p, c, &root)?;
    }
    let inode = p.inode().ok_or(ENOENT)?;
    if !inode.is_dir() {
        return Err(ENOTDIR);
    }
    Ok(Parent {
        path: p,
        last,
        trailing_slash,
    })
}

fn current_fs() -> Result<Arc<FsStruct>, Errno> {
    kernel().vfs.current_fs().ok_or(ENOENT)
}

/// `kern_path()`: resolve `name` from the current task's cwd and root.
pub fn kern_path(name: &str) -> Result<Path, Errno> {
    path_lookupat(&*current_fs()?, None, name)
}

/// Which kind of node `filename_create` makes.
enum NewNode {
    Reg,
    Dir,
    /// A device, FIFO or socket node (`vfs_mknod`).
    Special {
        ty: u32,
        dev: u64,
    },
}

/// `filename_create()` + the `vfs_create`/`vfs_mkdir`/`vfs_mknod` call,
/// under the parent's `inode_lock`.
fn create_node(
    fs: &FsStruct,
    base: Option<&Path>,
    name: &str,
    mode: u32,
    kind: NewNode,
) -> Result<Path, Errno> {
    let parent = path_parentat(fs, base, name)?;
    let Last::Norm(last) = &parent.last else {
        return Err(EEXIST);
    };
    if parent.trailing_slash && !matches!(kind, NewNode::Dir) {
        return Err(ENOENT);
    }
    let dir = parent.path.inode().ok_or(ENOENT)?;
    let _g = dir.i_rwsem.lock();
    let d = lookup_one_locked(&parent.path.dentry, last)?;
    if !d.is_negative() {
        return Err(EEXIST);
    }
    let mode = mode & !fs.umask() & S_IALLUGO;
    match kind {
        NewNode::Reg => (dir.i_op.create.ok_or(EACCES)?)(&dir, &d, S_IFREG | mode)?,
        NewNode::Dir => (dir.i_op.mkdir.ok_or(EPERM)?)(&dir, &d, S_IFDIR | mode)?,
        NewNode::Special { ty, dev } => (dir.i_op.mknod.ok_or(EPERM)?)(&dir, &d, ty | mode, dev)?,
    }
    parent.path.dentry.hash_child(&d);
    Ok(Path {
        mnt: parent.path.mnt,
        dentry: d,
    })
}

/// `do_mkdirat()`.
pub fn vfs_mkdir_at(
    fs: &FsStruct,
    base: Option<&Path>,
    name: &str,
    mode: u32,
) -> Result<(), Errno> {
    create_node(fs, base, name, mode, NewNode::Dir).map(|_| ())
}

/// `mkdir(path, mode)` from the current task.
pub fn vfs_mkdir(name: &str, mode: u32) -> Result<(), Errno> {
    vfs_mkdir_at(&*current_fs()?, None, name, mode)
}

/// `do_mknodat()`: regular files and character/block special files.
pub fn vfs_mknod_at(
    fs: &FsStruct,
    base: Option<&Path>,
    name: &str,
    mode: u32,
    dev: u64,
) -> Result<(), Errno> {
    let ty = mode & S_IFMT;
    let kind = match ty {
        0 | S_IFREG => NewNode::Reg,
        S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => NewNode::Special { ty, dev },
        S_IFDIR => return Err(EPERM),
        _ => return Err(EINVAL),
    };
    create_node(fs, base, name, mode, kind).map(|_| ())
}

/// `mknod(path, mode, dev)` from the current task.
pub fn vfs_mknod(name: &str, mode: u32, dev: u64) -> Result<(), Errno> {
    vfs_mknod_at(&*current_fs()?, None, name, mode, dev)
}

/// `do_unlinkat()`.
pub fn vfs_unlink_at(fs: &FsStruct, base: Option<&Path>, name: &str) -> Result<(), Errno> {
    let parent = path_parentat(fs, base, name)?;
    let Last::Norm(last) = &parent.last else {
        return Err(EISDIR);
    };
    let dir = parent.path.inode().ok_or(ENOENT)?;
    let _g = dir.i_rwsem.lock();
    let d = lookup_one_locked(&parent.path.dentry, last)?;
    let inode = d.inode().ok_or(ENOENT)?;
    if inode.is_dir() {
        return Err(EISDIR);
    }
    if parent.trailing_slash {
        return Err(ENOTDIR);
    }
    if d.is_mountpoint() {
        return Err(EBUSY);
    }
    let unlink = dir.i_op.unlink.ok_or(EPERM)?;
    unlink(&dir, &d)?;
    d.d_delete();
    Ok(())
}

/// `unlink(path)` from the current task.
pub fn vfs_unlink(name: &str) -> Result<(), Errno> {
    vfs_unlink_at(&*current_fs()?, None, name)
}

/// `do_rmdir()`.
pub fn vfs_rmdir_at(fs: &FsStruct, base: Option<&Path>, name: &str) -> Result<(), Errno> {
    let parent = path_parentat(fs, base, name)?;
    let last = match &parent.last {
        Last::Norm(n) => n.clone(),
        Last::Dot => return Err(EINVAL),
        Last::DotDot => return Err(ENOTEMPTY),
        Last::Root => return Err(EBUSY),
    };
    let dir = parent.path.inode().ok_or(ENOENT)?;
    let _g = dir.i_rwsem.lock();
    let d = lookup_one_locked(&parent.path.dentry, &last)?;
    let inode = d.inode().ok_or(ENOENT)?;
    if !inode.is_dir() {
        return Err(ENOTDIR);
    }
    if d.is_mountpoint() {
        return Err(EBUSY);
    }
    let _cg = inode.i_rwsem.lock();
    let rmdir = dir.i_op.rmdir.ok_or(EPERM)?;
    rmdir(&dir, &d)?;
    d.d_delete();
    Ok(())
}

/// `rmdir(path)` from the current task.
pub fn vfs_rmdir(name: &str) -> Result<(), Errno> {
    vfs_rmdir_at(&*current_fs()?, None, name)
}

/// `vfs_truncate()`/`do_truncate()`: set the size under the inode lock.
pub fn do_truncate(path: &Path, size: i64) -> Result<(), Errno> {
    if size < 0 {
        return Err(EINVAL);
    }
    let inode = path.inode().ok_or(ENOENT)?;
    if inode.is_dir() {
        return Err(EISDIR);
    }
    if !inode.is_reg() {
        return Err(EINVAL);
    }
    let _g = inode.i_rwsem.lock();
    let setattr = inode.i_op.setattr.ok_or(EPERM)?;
    setattr(
        &path.dentry,
        &Iattr {
            ia_size: Some(size),
            ..Default::default()
        },
    )
}

/// Open an already resolved path (`vfs_open()` / `do_dentry_open()`):
/// character devices get their driver's operations (`chrdev_open`).
pub fn dentry_open(path: Path, flags: u32) -> Result<Arc<File>, Errno> {
    let inode = path.inode().ok_or(ENOENT)?;
    let fops = if s_ischr(inode.mode()) {
        super::char_dev::chrdev_fops(inode.i_rdev)?
    } else if s_isfifo(inode.mode()) || s_isreg(inode.mode()) || s_isdir(inode.mode()) {
        inode.i_fop
    } else {
        return Err(ENXIO);
    };
    let file = Arc::new(File::new(path, inode, fops, flags, 0));
    file.do_open()?;
    Ok(file)
}

/// `do_filp_open()`: open (and with `O_CREAT` create) `name`.
pub fn do_filp_open(
    fs: &FsStruct,
    base: Option<&Path>,
    name: &str,
    flags: u32,
    mode: u32,
) -> Result<Arc<File>, Errno> {
    // force_o_largefile(): always on for 64-bit.
    let flags = flags | O_LARGEFILE;
    let acc = flags & O_ACCMODE;
    let wants_write = acc == O_WRONLY || acc == O_RDWR;
    if flags & O_TMPFILE == O_TMPFILE || flags & O_PATH != 0 {
        return Err(EOPNOTSUPP);
    }
    let mut created = false;
    let path = if flags & O_CREAT != 0 {
        let parent = path_parentat(fs, base, name)?;
        let Last::Norm(last) = &parent.last else {
            return Err(EISDIR);
        };
        // open_last_lookups(): O_CREAT with a trailing slash is EISDIR.
        if parent.trailing_slash {
            return Err(EISDIR);
        }
        let dir = parent.path.inode().ok_or(ENOENT)?;
        let g = dir.i_rwsem.lock();
        let d = lookup_one_locked(&parent.path.dentry, last)?;
        let mut p = Path {
            mnt: parent.path.mnt.clone(),
            dentry: Arc::clone(&d),
        };
        if d.is_negative() {
            let create = dir.i_op.create.ok_or(EACCES)?;
            create(&dir, &d, S_IFREG | (mode & !fs.umask() & S_IALLUGO))?;
            parent.path.dentry.hash_child(&d);
            created = true;
        } else {
            if flags & O_EXCL != 0 {
                return Err(EEXIST);
            }
            drop(g);
            kernel().vfs.follow_mount(&mut p);
            let inode = p.inode().ok_or(ENOENT)?;
            if inode.is_dir() {
                return Err(EISDIR);
            }
        }
        p
    } else {
        path_lookupat(fs, base, name)?
    };
    let inode = path.inode().ok_or(ENOENT)?;
    if inode.is_dir() && wants_write {
        return Err(EISDIR);
    }
    if flags & O_DIRECTORY != 0 && !inode.is_dir() {
        return Err(ENOTDIR);
    }
    if flags & O_TRUNC != 0 && wants_write && inode.is_reg() && !created {
        do_truncate(&path, 0)?;
    }
    dentry_open(path, flags)
}

/// `filp_open(name, flags, mode)` from the current task.
pub fn vfs_open(name: &str, flags: u32, mode: u32) -> Result<Arc<File>, Errno> {
    do_filp_open(&*current_fs()?, None, name, flags, mode)
}

/// `vfs_getattr()` of a path.
pub fn vfs_getattr(path: &Path) -> Result<Kstat, Errno> {
    Ok(path.inode().ok_or(ENOENT)?.getattr())
}

/// `vfs_statx()` for `stat`/`lstat`/`newfstatat` (there are no
/// symlinks, so lstat is stat).
pub fn vfs_stat_at(fs: &FsStruct, base: Option<&Path>, name: &str) -> Result<Kstat, Errno> {
    vfs_getattr(&path_lookupat(fs, base, name)?)
}

/// `stat(path)` from the current task.
pub fn vfs_stat(name: &str) -> Result<Kstat, Errno> {
    vfs_stat_at(&*current_fs()?, None, name)
}

/// `vfs_fstat()`.
pub fn vfs_fstat(file: &File) -> Result<Kstat, Errno> {
    Ok(file.f_inode.getattr())
}

/// `chdir(2)`: resolve and make the cwd of `fs`.
pub fn vfs_chdir(fs: &FsStruct, base: Option<&Path>, name: &str) -> Result<(), Errno> {
    let p = path_lookupat(fs, base, name)?;
    fs.set_pwd(p)
}

/// `getcwd(2)`: the cwd's name from the root; `ENOENT` if it was removed.
pub fn vfs_getcwd(fs: &FsStruct) -> Result<String, Errno> {
    let pwd = fs.pwd();
    if pwd.dentry.is_unhashed() && !pwd.dentry.is_root() {
        return Err(ENOENT);
    }
    Ok(kernel().vfs.d_path(&pwd, &fs.root()))
}
