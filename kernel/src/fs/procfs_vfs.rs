//! The proc filesystem as a mountable filesystem: adapts the kernel's
//! `ProcFs` entry tree (fs/proc/) to inodes, dentries and files, so that
//! `/proc` is reached by ordinary path walks, `open`, `read` and
//! `getdents64`. The same adapter mounts the debugfs and tracefs trees.
//!
//! Mechanism: each inode remembers its path inside the tree; `lookup`
//! asks the tree (`ProcFs::stat`) and the superblock has
//! `always_delete_dentry`, so names that vanish (exited tasks) are never
//! served from the dcache, like `pid_revalidate`/`pid_delete_dentry`.
//! A file's text is produced once per open, at the first read (the
//! `seq_file`/`single_open` behaviour: one consistent snapshot per open
//! file); writes go to the entry's write handler when the file is
//! released or on each write call. Inode numbers are a stable hash of the
//! path, so `stat` and `getdents64` agree.
//!
//! The cgroup filesystem (`mount -t cgroup -o memory`) is a fourth tree:
//! the memory controller's groups, where `mkdir`/`rmdir` create and remove
//! groups.

use super::dcache::Dentry;
use super::file::{DirContext, File, FileOperations, Kiocb};
use super::inode::{Inode, InodeOperations};
use super::iov_iter::IovIter;
use super::mount::{FileSystemType, SuperBlock};
use super::proc::ProcFs;
use super::read_write::dir_llseek;
use crate::kernel;
use parking_lot::Mutex;
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;

pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;
pub const DEBUGFS_MAGIC: u64 = 0x6462_6720;
pub const TRACEFS_MAGIC: u64 = 0x7472_6163;
pub const CGROUP_SUPER_MAGIC: u64 = 0x0027_e0eb;

pub static CGROUP_FS_TYPE: FileSystemType = FileSystemType {
    name: "cgroup",
    mount: cgroup_mount,
    nodev: true,
};

pub static PROC_FS_TYPE: FileSystemType = FileSystemType {
    name: "proc",
    mount: proc_mount,
    nodev: true,
};

pub static TRACEFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "tracefs",
    mount: tracefs_mount,
    nodev: true,
};

pub static DEBUGFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "debugfs",
    mount: debugfs_mount,
    nodev: true,
};

/// Which tree of the kernel a superblock shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tree {
    Proc,
    Debug,
    Trace,
    Cgroup,
}

/// Per-inode data: the entry's path inside the tree.
struct ProcNode {
    tree: Tree,
    path: String,
}

/// What a tree shown through this filesystem provides: procfs-style
/// trees (/proc, debugfs, tracefs) and the cgroup hierarchy alike.
trait TreeOps {
    fn stat(&self, path: &str) -> Result<super::proc::ProcStat, Errno>;
    fn readdir(&self, path: &str) -> Result<Vec<String>, Errno>;
    fn read(&self, path: &str) -> Result<String, Errno>;
    fn write(&self, path: &str, data: &str) -> Result<(), Errno>;
}

impl TreeOps for ProcFs {
    fn stat(&self, path: &str) -> Result<super::proc::ProcStat, Errno> {
        ProcFs::stat(self, path)
    }
    fn readdir(&self, path: &str) -> Result<Vec<String>, Errno> {
        ProcFs::readdir(self, path)
    }
    fn read(&self, path: &str) -> Result<String, Errno> {
        ProcFs::read(self, path)
    }
    fn write(&self, path: &str, data: &str) -> Result<(), Errno> {
        ProcFs::write(self, path, data)
    }
}

impl TreeOps for crate::kernel::cgroup::Cgroups {
    fn stat(&self, path: &str) -> Result<super::proc::ProcStat, Errno> {
        let (is_dir, mode) = crate::kernel::cgroup::Cgroups::stat(self, path)?;
        Ok(super::proc::ProcStat { is_dir, mode })
    }
    fn readdir(&self, path: &str) -> Result<Vec<String>, Errno> {
        crate::kernel::cgroup::Cgroups::readdir(self, path)
    }
    fn read(&self, path: &str) -> Result<String, Errno> {
        self.read_file(path)
    }
    fn write(&self, path: &str, data: &str) -> Result<(), Errno> {
        self.write_file(path, data)
    }
}

/// Run `f` on the tree a superblock shows.
fn with_tree<R>(t: Tree, f: impl FnOnce(&dyn TreeOps) -> R) -> R {
    let k = kernel();
    match t {
        Tree::Proc => f(&k.procfs),
        Tree::Debug => f(&k.debugfs),
        Tree::Trace => f(&k.tracefs),
        Tree::Cgroup => f(&k.cgroups),
    }
}

static CGROUP_DIR_IOPS: InodeOperations = InodeOperations {
    lookup: Some(proc_lookup),
    mkdir: Some(cgroup_mkdir),
    rmdir: Some(cgroup_rmdir),
    ..InodeOperations::EMPTY
};

/// `cgroup_mkdir()`: a new group.
fn cgroup_mkdir(dir: &Arc<Inode>, dentry: &Arc<Dentry>, _mode: u32) -> Result<(), Errno> {
    let n = node(dir)?;
    let path = child_path(&n.path, &dentry.d_name);
    kernel().cgroups.mkdir(&path)?;
    dentry.instantiate(make_inode(&dir.i_sb, Tree::Cgroup, path, true, 0o755));
    Ok(())
}

/// `cgroup_rmdir()`: only an empty group.
fn cgroup_rmdir(dir: &Arc<Inode>, dentry: &Arc<Dentry>) -> Result<(), Errno> {
    let n = node(dir)?;
    kernel().cgroups.rmdir(&child_path(&n.path, &dentry.d_name))
}

fn cgroup_mount(fs_type: &'static FileSystemType, _dev: &str) -> Result<Arc<Dentry>, Errno> {
    mount_tree(fs_type, Tree::Cgroup, CGROUP_SUPER_MAGIC)
}

static PROC_DIR_IOPS: InodeOperations = InodeOperations {
    lookup: Some(proc_lookup),
    ..InodeOperations::EMPTY
};

static PROC_DIR_FOPS: FileOperations = FileOperations {
    llseek: Some(dir_llseek),
    iterate_shared: Some(proc_readdir),
    ..FileOperations::EMPTY
};

static PROC_FILE_FOPS: FileOperations = FileOperations {
    open: Some(proc_open),
    llseek: Some(dir_llseek),
    read_iter: Some(proc_read_iter),
    write_iter: Some(proc_write_iter),
    ..FileOperations::EMPTY
};

fn ino_of(tree: Tree, path: &str) -> u64 {
    if path.is_empty() {
        return 1;
    }
    // FNV-1a, kept away from the root's number.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ tree as u64;
    for b in path.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    (h >> 1) | 2
}

fn make_inode(
    sb: &Arc<SuperBlock>,
    tree: Tree,
    path: String,
    is_dir: bool,
    perm: u32,
) -> Arc<Inode> {
    static PROC_FILE_IOPS: InodeOperations = InodeOperations {
        setattr: Some(proc_setattr),
        ..InodeOperations::EMPTY
    };
    let (mode, iops, fops) = if is_dir {
        let iops = if tree == Tree::Cgroup {
            &CGROUP_DIR_IOPS
        } else {
            &PROC_DIR_IOPS
        };
        (S_IFDIR | (perm & 0o7777), iops, &PROC_DIR_FOPS)
    } else {
        (S_IFREG | (perm & 0o7777), &PROC_FILE_IOPS, &PROC_FILE_FOPS)
    };
    let inode = Inode::new(
        sb,
        ino_of(tree, &path),
        mode,
        0,
        iops,
        fops,
        Box::new(ProcNode { tree, path }),
    );
    if is_dir {
        inode.inc_nlink();
    }
    inode
}

fn mount_tree(
    fs_type: &'static FileSystemType,
    tree: Tree,
    magic: u64,
) -> Result<Arc<Dentry>, Errno> {
    let sb = SuperBlock::new_anon(fs_type, magic, true, Box::new(()));
    Ok(Dentry::make_root(make_inode(
        &sb,
        tree,
        String::new(),
        true,
        0o555,
    )))
}

fn proc_mount(fs_type: &'static FileSystemType, _dev: &str) -> Result<Arc<Dentry>, Errno> {
    mount_tree(fs_type, Tree::Proc, PROC_SUPER_MAGIC)
}

fn debugfs_mount(fs_type: &'static FileSystemType, _dev: &str) -> Result<Arc<Dentry>, Errno> {
    mount_tree(fs_type, Tree::Debug, DEBUGFS_MAGIC)
}

fn tracefs_mount(fs_type: &'static FileSystemType, _dev: &str) -> Result<Arc<Dentry>, Errno> {
    mount_tree(fs_type, Tree::Trace, TRACEFS_MAGIC)
}

/// `proc_setattr()`: truncation (the O_TRUNC of `echo 1 > file`) is
/// accepted and changes nothing; mode changes are refused.
fn proc_setattr(_dentry: &Arc<Dentry>, attr: &super::inode::Iattr) -> Result<(), Errno> {
    if attr.ia_mode.is_some() {
        return Err(EPERM);
    }
    Ok(())
}

fn node(inode: &Inode) -> Result<&ProcNode, Errno> {
    inode.private::<ProcNode>().ok_or(EINVAL)
}

fn child_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// `proc_lookup()` / `proc_pid_lookup()`.
fn proc_lookup(dir: &Arc<Inode>, dentry: &Arc<Dentry>) -> Result<(), Errno> {
    let n = node(dir)?;
    let path = child_path(&n.path, &dentry.d_name);
    match with_tree(n.tree, |t| t.stat(&path)) {
        Ok(st) => {
            dentry.instantiate(make_inode(&dir.i_sb, n.tree, path, st.is_dir, st.mode));
            Ok(())
        }
        Err(e) if e == ENOENT || e == ENOTDIR => Ok(()),
        Err(e) => Err(e),
    }
}

/// `proc_readdir()`: ".", "..", then the tree's names.
fn proc_readdir(file: &File, ctx: &mut DirContext<'_>) -> Result<(), Errno> {
    if !ctx.emit_dots(file) {
        return Ok(());
    }
    let n = node(&file.f_inode)?;
    let names = with_tree(n.tree, |t| t.readdir(&n.path))?;
    for name in names.iter().skip((ctx.pos - 2).max(0) as usize) {
        let path = child_path(&n.path, name);
        let d_type = match with_tree(n.tree, |t| t.stat(&path)) {
            Ok(st) if st.is_dir => DT_DIR,
            Ok(_) => DT_REG,
            Err(_) => DT_UNKNOWN,
        };
        if !ctx.emit(name, ino_of(n.tree, &path), d_type, ctx.pos + 1) {
            break;
        }
        ctx.pos += 1;
    }
    Ok(())
}

/// Per-open state: the text snapshot and pending written bytes.
struct ProcOpen {
    text: Mutex<Option<Arc<Vec<u8>>>>,
}

fn proc_open(_inode: &Arc<Inode>, file: &File) -> Result<(), Errno> {
    file.set_private(Arc::new(ProcOpen {
        text: Mutex::new(None),
    }))
}

/// `seq_read_iter()`: produce the text at the first read, then serve it.
fn proc_read_iter(iocb: &mut Kiocb<'_>, to: &mut IovIter<'_>) -> Result<usize, Errno> {
    let file = iocb.ki_filp;
    let n = node(&file.f_inode)?;
    let st = file.private::<ProcOpen>().ok_or(EINVAL)?;
    let cached = st.text.lock().clone();
    let text = match cached {
        Some(t) => t,
        None => {
            let t = Arc::new(with_tree(n.tree, |t| t.read(&n.path))?.into_bytes());
            *st.text.lock() = Some(Arc::clone(&t));
            t
        }
    };
    let pos = iocb.ki_pos.max(0) as usize;
    if pos >= text.len() {
        return Ok(0);
    }
    let c = to.copy_to_iter(&text[pos..]);
    if c == 0 {
        return Err(EFAULT);
    }
    iocb.ki_pos += c as i64;
    Ok(c)
}

/// `proc_reg_write()`: hand the written text to the entry.
fn proc_write_iter(iocb: &mut Kiocb<'_>, from: &mut IovIter<'_>) -> Result<usize, Errno> {
    let n = node(&iocb.ki_filp.f_inode)?;
    let mut buf = vec![0u8; from.count().min(1 << 16)];
    let c = from.copy_from_iter(&mut buf);
    let s = std::str::from_utf8(&buf[..c]).map_err(|_| EINVAL)?;
    with_tree(n.tree, |t| t.write(&n.path, s))?;
    iocb.ki_pos += c as i64;
    Ok(c)
}
