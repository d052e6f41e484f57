//! `struct fs_struct`: a task's root directory, current directory and
//! umask. Shared between tasks with `CLONE_FS` (an `Arc`), copied by fork
//! otherwise (`copy_fs_struct`).
//!
//! Invariant: `root` and `pwd` always name directories that were positive
//! when set (a removed cwd stays usable as Linux's does: lookups in it
//! find nothing and getcwd reports "(deleted)").

use super::mount::Path;
use parking_lot::Mutex;
use std::sync::Arc;
use uapi::errno::{Errno, ENOENT, ENOTDIR};

struct FsInner {
    root: Path,
    pwd: Path,
    umask: u32,
}

pub struct FsStruct {
    inner: Mutex<FsInner>,
}

impl FsStruct {
    pub fn new(root: Path) -> Arc<FsStruct> {
        Arc::new(FsStruct {
            inner: Mutex::new(FsInner {
                pwd: root.clone(),
                root,
                umask: 0o022,
            }),
        })
    }

    /// `copy_fs_struct()` (fork without `CLONE_FS`).
    pub fn copy(&self) -> Arc<FsStruct> {
        let g = self.inner.lock();
        Arc::new(FsStruct {
            inner: Mutex::new(FsInner {
                root: g.root.clone(),
                pwd: g.pwd.clone(),
                umask: g.umask,
            }),
        })
    }

    pub fn root(&self) -> Path {
        self.inner.lock().root.clone()
    }

    pub fn pwd(&self) -> Path {
        self.inner.lock().pwd.clone()
    }

    pub fn umask(&self) -> u32 {
        self.inner.lock().umask
    }

    /// `umask(2)`: returns the old mask.
    pub fn set_umask(&self, mask: u32) -> u32 {
        std::mem::replace(&mut self.inner.lock().umask, mask & 0o777)
    }

    /// `set_fs_pwd()`, the tail of `chdir(2)`: `p` must be a directory.
    pub fn set_pwd(&self, p: Path) -> Result<(), Errno> {
        let inode = p.inode().ok_or(ENOENT)?;
        if !inode.is_dir() {
            return Err(ENOTDIR);
        }
        self.inner.lock().pwd = p;
        Ok(())
    }

    /// `set_fs_root()` (chroot).
    pub fn set_root(&self, p: Path) -> Result<(), Errno> {
        let inode = p.inode().ok_or(ENOENT)?;
        if !inode.is_dir() {
            return Err(ENOTDIR);
        }
        self.inner.lock().root = p;
        Ok(())
    }
}
