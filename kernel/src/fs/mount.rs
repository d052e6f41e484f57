//! Superblocks, filesystem types, mounts and the mount table
//! (`struct super_block`, `struct file_system_type`, `struct vfsmount`,
//! `struct path`), and [`Vfs`], the per-kernel VFS state.
//!
//! A mount attaches the root dentry of a superblock on a dentry (the
//! mount point) of a parent mount. The table maps (parent mount, mount
//! point) to the mount stacked there, newest first, which is how a path
//! walk crosses into mounted filesystems (`follow_mount`) and back out at
//! `..` (`follow_dotdot`). `/proc/mounts` lists the table in Linux's
//! format.
//!
//! Invariants: a mount point's `d_mounted` counts the mounts on it; a
//! mount's parent and mount point stay alive while it is mounted; the
//! root mount has no parent. The table lock is a leaf host lock.

use super::dcache::Dentry;
use super::fs_struct::FsStruct;
use super::inode::Inode;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use uapi::errno::{Errno, EBUSY, EINVAL, ENODEV, ENOTDIR};

/// `struct file_system_type`.
pub struct FileSystemType {
    pub name: &'static str,
    /// `mount()`/`fill_super()`: make a superblock and its root dentry.
    pub mount: fn(fs_type: &'static FileSystemType, dev_name: &str) -> Result<Arc<Dentry>, Errno>,
    /// `FS_REQUIRES_DEV` unset: shows as `nodev` in /proc/filesystems.
    pub nodev: bool,
}

/// `struct super_block`.
pub struct SuperBlock {
    pub s_dev: u64,
    pub s_magic: u64,
    pub s_type: &'static FileSystemType,
    /// `s_id`: the name shown in messages.
    pub s_id: String,
    /// `d_op->d_delete == always_delete_dentry`: names are looked up anew
    /// on every walk (procfs).
    pub always_delete_dentry: bool,
    next_ino: AtomicU64,
    /// The filesystem's private data (`s_fs_info`).
    pub s_fs_info: Box<dyn std::any::Any + Send + Sync>,
}

static NEXT_ANON_DEV: AtomicU32 = AtomicU32::new(1);

impl SuperBlock {
    /// `sget()` + `set_anon_super()`: a superblock on an anonymous device
    /// (major 0).
    pub fn new_anon(
        fs_type: &'static FileSystemType,
        magic: u64,
        always_delete_dentry: bool,
        fs_info: Box<dyn std::any::Any + Send + Sync>,
    ) -> Arc<SuperBlock> {
        let minor = NEXT_ANON_DEV.fetch_add(1, Ordering::Relaxed);
        Arc::new(SuperBlock {
            s_dev: uapi::fcntl::makedev(0, minor),
            s_magic: magic,
            s_type: fs_type,
            s_id: fs_type.name.to_string(),
            always_delete_dentry,
            next_ino: AtomicU64::new(1),
            s_fs_info: fs_info,
        })
    }

    /// `get_next_ino()`.
    pub fn get_next_ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }
}

/// `struct vfsmount` / `struct mount`.
pub struct VfsMount {
    pub mnt_id: u32,
    pub mnt_root: Arc<Dentry>,
    pub mnt_sb: Arc<SuperBlock>,
    pub mnt_devname: String,
    mnt_parent: Option<Arc<VfsMount>>,
    mnt_mountpoint: Option<Arc<Dentry>>,
}

impl VfsMount {
    pub fn parent(&self) -> Option<&Arc<VfsMount>> {
        self.mnt_parent.as_ref()
    }
    pub fn mountpoint(&self) -> Option<&Arc<Dentry>> {
        self.mnt_mountpoint.as_ref()
    }
}

/// `struct path`: a dentry and the mount it was reached through.
#[derive(Clone)]
pub struct Path {
    pub mnt: Arc<VfsMount>,
    pub dentry: Arc<Dentry>,
}

impl Path {
    pub fn inode(&self) -> Option<Arc<Inode>> {
        self.dentry.inode()
    }

    pub fn same(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.mnt, &other.mnt) && Arc::ptr_eq(&self.dentry, &other.dentry)
    }
}

impl std::fmt::Debug for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "path({:?} on mnt {})",
            self.dentry.d_name, self.mnt.mnt_id
        )
    }
}

type MountKey = (usize, usize);

/// The process layer's answer to "what is `current->fs`".
pub type CurrentFsFn = fn() -> Option<Arc<FsStruct>>;

fn key(mnt: &Arc<VfsMount>, d: &Arc<Dentry>) -> MountKey {
    (Arc::as_ptr(mnt) as usize, Arc::as_ptr(d) as usize)
}

/// The VFS state of one kernel.
#[derive(Default)]
pub struct Vfs {
    filesystems: RwLock<Vec<&'static FileSystemType>>,
    /// All mounts, in mount order.
    mounts: RwLock<Vec<Arc<VfsMount>>>,
    /// (parent mount, mount point) → mounts stacked there, newest last.
    mount_hashtable: RwLock<BTreeMap<MountKey, Vec<Arc<VfsMount>>>>,
    next_mnt_id: AtomicU32,
    root: OnceLock<Path>,
    /// `init_fs`: the fs_struct of init and of kernel threads.
    init_fs: OnceLock<Arc<FsStruct>>,
    /// Installed by the process layer: the current task's fs_struct.
    current_fs_hook: RwLock<Option<CurrentFsFn>>,
    /// `cdev_map`: major → regions.
    pub(crate) chrdevs: RwLock<BTreeMap<u32, Vec<super::char_dev::CharDevRegion>>>,
    /// The internal pipefs mount (`pipe_mnt`).
    pipe_mnt: OnceLock<Arc<VfsMount>>,
    /// `names_cachep`: the slab cache of `getname()`'s path buffers.
    pub(crate) names_cachep: OnceLock<Arc<crate::mm::slab::KmemCache>>,
}

impl Vfs {
    pub fn new() -> Self {
        Self::default()
    }

    /// `register_filesystem()`.
    pub fn register_filesystem(&self, fs: &'static FileSystemType) -> Result<(), Errno> {
        let mut l = self.filesystems.write();
        if l.iter().any(|f| f.name == fs.name) {
            return Err(EBUSY);
        }
        l.push(fs);
        Ok(())
    }

    pub fn get_fs_type(&self, name: &str) -> Option<&'static FileSystemType> {
        self.filesystems
            .read()
            .iter()
            .find(|f| f.name == name)
            .copied()
    }

    /// `/proc/filesystems`.
    pub fn filesystems_text(&self) -> String {
        self.filesystems
            .read()
            .iter()
            .map(|f| format!("{}\t{}\n", if f.nodev { "nodev" } else { "" }, f.name))
            .collect()
    }

    fn new_mount(
        &self,
        root: Arc<Dentry>,
        devname: &str,
        parent: Option<(Arc<VfsMount>, Arc<Dentry>)>,
    ) -> Arc<VfsMount> {
        let (mnt_parent, mnt_mountpoint) = match parent {
            Some((m, d)) => (Some(m), Some(d)),
            None => (None, None),
        };
        Arc::new(VfsMount {
            mnt_id: self.next_mnt_id.fetch_add(1, Ordering::Relaxed) + 1,
            mnt_sb: Arc::clone(&root.d_sb),
            mnt_root: root,
            mnt_devname: devname.to_string(),
            mnt_parent,
            mnt_mountpoint,
        })
    }

    /// `kern_mount()`: an instance not attached to the namespace.
    pub fn kern_mount(&self, fs_type: &'static FileSystemType) -> Result<Arc<VfsMount>, Errno> {
        let root = (fs_type.mount)(fs_type, fs_type.name)?;
        Ok(self.new_mount(root, fs_type.name, None))
    }

    /// The `names_cache` slab cache (made by `vfs_caches_init`).
    pub fn names_cache(&self) -> Result<&Arc<crate::mm::slab::KmemCache>, Errno> {
        self.names_cachep.get().ok_or(uapi::errno::ENOMEM)
    }

    /// The pipefs mount, made on first use.
    pub fn pipe_mnt(&self) -> Result<Arc<VfsMount>, Errno> {
        if let Some(m) = self.pipe_mnt.get() {
            return Ok(Arc::clone(m));
        }
        let m = self.kern_mount(&super::pipe::PIPEFS_FS_TYPE)?;
        Ok(Arc::clone(self.pipe_mnt.get_or_init(|| m)))
    }

    /// `init_mount_tree()`: mount `fs_type` as the root of the namespace.
    pub fn mount_root(&self, fs_type: &str) -> Result<Path, Errno> {
        let t = self.get_fs_type(fs_type).ok_or(ENODEV)?;
        let root = (t.mount)(t, "rootfs")?;
        let mnt = self.new_mount(root.clone(), "rootfs", None);
        self.mounts.write().push(Arc::clone(&mnt));
        let path = Path { mnt, dentry: root };
        self.root.set(path.clone()).map_err(|_| EBUSY)?;
        let _ = self.init_fs.set(FsStruct::new(path.clone()));
        Ok(path)
    }

    /// The root of the mount namespace.
    pub fn root(&self) -> Option<Path> {
        self.root.get().cloned()
    }

    pub fn init_fs(&self) -> Option<Arc<FsStruct>> {
        self.init_fs.get().cloned()
    }

    /// Let the process layer say where `current->fs` is.
    pub fn set_current_fs_hook(&self, f: CurrentFsFn) {
        *self.current_fs_hook.write() = Some(f);
    }

    /// `current->fs`: the hook's answer, else `init_fs`.
    pub fn current_fs(&self) -> Option<Arc<FsStruct>> {
        let hook = *self.current_fs_hook.read();
        hook.and_then(|f| f()).or_else(|| self.init_fs())
    }

    /// `do_new_mount()`: mount a new instance of `fs_type` on `at`.
    pub fn do_mount(&self, fs_type: &str, dev_name: &str, at: &Path) -> Result<Path, Errno> {
        let t = self.get_fs_type(fs_type).ok_or(ENODEV)?;
        let inode = at.inode().ok_or(EINVAL)?;
        if !inode.is_dir() {
            return Err(ENOTDIR);
        }
        if at.dentry.is_unhashed() && !at.dentry.is_root() {
            return Err(uapi::errno::ENOENT);
        }
        let root = (t.mount)(t, dev_name)?;
        Ok(self.graft(root, dev_name, at))
    }

    /// Attach an existing superblock root (e.g. the kernel's procfs tree).
    pub fn graft(&self, root: Arc<Dentry>, dev_name: &str, at: &Path) -> Path {
        let mnt = self.new_mount(
            Arc::clone(&root),
            dev_name,
            Some((Arc::clone(&at.mnt), Arc::clone(&at.dentry))),
        );
        at.dentry.d_mounted.fetch_add(1, Ordering::AcqRel);
        self.mount_hashtable
            .write()
            .entry(key(&at.mnt, &at.dentry))
            .or_default()
            .push(Arc::clone(&mnt));
        self.mounts.write().push(Arc::clone(&mnt));
        Path { mnt, dentry: root }
    }

    /// `do_umount()` of the mount whose root is `p` (no lazy unmount:
    /// `EBUSY` if something is mounted below it). Open files keep the
    /// superblock alive.
    pub fn umount(&self, p: &Path) -> Result<(), Errno> {
        if !Arc::ptr_eq(&p.dentry, &p.mnt.mnt_root) {
            return Err(EINVAL);
        }
        let (Some(parent), Some(mp)) = (p.mnt.parent(), p.mnt.mountpoint()) else {
            return Err(EBUSY);
        };
        if self
            .mounts
            .read()
            .iter()
            .any(|m| m.parent().is_some_and(|pp| Arc::ptr_eq(pp, &p.mnt)))
        {
            return Err(EBUSY);
        }
        let mut ht = self.mount_hashtable.write();
        let k = key(parent, mp);
        if let Some(v) = ht.get_mut(&k) {
            v.retain(|m| !Arc::ptr_eq(m, &p.mnt));
            if v.is_empty() {
                ht.remove(&k);
            }
        }
        drop(ht);
        mp.d_mounted.fetch_sub(1, Ordering::AcqRel);
        self.mounts.write().retain(|m| !Arc::ptr_eq(m, &p.mnt));
        Ok(())
    }

    /// `lookup_mnt()`: the topmost mount on (mnt, dentry).
    pub fn lookup_mnt(&self, p: &Path) -> Option<Arc<VfsMount>> {
        self.mount_hashtable
            .read()
            .get(&key(&p.mnt, &p.dentry))
            .and_then(|v| v.last().cloned())
    }

    /// `follow_mount()`: descend through every mount stacked on `p`.
    pub fn follow_mount(&self, p: &mut Path) {
        while p.dentry.is_mountpoint() {
            match self.lookup_mnt(p) {
                Some(m) => {
                    p.dentry = Arc::clone(&m.mnt_root);
                    p.mnt = m;
                }
                None => break,
            }
        }
    }

    /// `d_path()`: the absolute name of `p` as seen from `root`.
    pub fn d_path(&self, p: &Path, root: &Path) -> String {
        let mut parts = Vec::new();
        let mut cur = p.clone();
        let mut guard = 0;
        loop {
            guard += 1;
            if cur.same(root) || guard > 4096 {
                break;
            }
            if Arc::ptr_eq(&cur.dentry, &cur.mnt.mnt_root) {
                match (cur.mnt.parent(), cur.mnt.mountpoint()) {
                    (Some(pm), Some(mp)) => {
                        cur = Path {
                            mnt: Arc::clone(pm),
                            dentry: Arc::clone(mp),
                        };
                        continue;
                    }
                    _ => break,
                }
            }
            match cur.dentry.parent() {
                Some(parent) => {
                    parts.push(cur.dentry.d_name.clone());
                    cur.dentry = parent;
                }
                None => break,
            }
        }
        let mut s = String::new();
        for n in parts.iter().rev() {
            s.push('/');
            s.push_str(n);
        }
        if s.is_empty() {
            s.push('/');
        }
        if p.dentry.is_unhashed() && !p.dentry.is_root() {
            s.push_str(" (deleted)");
        }
        s
    }

    /// `/proc/mounts` (`show_vfsmnt`).
    pub fn mounts_text(&self) -> String {
        let Some(root) = self.root() else {
            return String::new();
        };
        self.mounts
            .read()
            .iter()
            .map(|m| {
                let p = Path {
                    mnt: Arc::clone(m),
                    dentry: Arc::clone(&m.mnt_root),
                };
                format!(
                    "{} {} {} rw,relatime 0 0\n",
                    m.mnt_devname,
                    self.d_path(&p, &root),
                    m.mnt_sb.s_type.name
                )
            })
            .collect()
    }
}

impl Drop for Vfs {
    /// The kernel is going away: break the dcache's reference cycles.
    fn drop(&mut self) {
        for m in self.mounts.get_mut().drain(..) {
            m.mnt_root.shrink_dcache();
        }
        self.mount_hashtable.get_mut().clear();
        if let Some(m) = self.pipe_mnt.take() {
            m.mnt_root.shrink_dcache();
        }
    }
}
