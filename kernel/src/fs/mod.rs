//! Filesystems: the VFS (inodes, dentries, mounts, files, descriptor
//! tables, path walks, the read/write paths), ramfs as the root, pipes,
//! character devices, seq_file and the proc filesystem tree, mounted at
//! /proc through `procfs_vfs`.

pub mod char_dev;
pub mod dcache;
pub mod exec;
pub mod fdtable;
pub mod file;
pub mod fs_struct;
pub mod inode;
pub mod ioctl;
pub mod iov_iter;
pub mod mount;
pub mod namei;
pub mod pipe;
pub mod proc;
pub mod procfs_vfs;
pub mod ramfs;
pub mod read_write;
pub mod readdir;
pub mod select;
pub mod seq_file;
pub mod syscalls;

pub use fdtable::FilesStruct;
pub use file::{File, FileOperations, Kiocb};
pub use fs_struct::FsStruct;
pub use inode::{Inode, Kstat};
pub use ioctl::{do_vfs_ioctl, vfs_ioctl};
pub use iov_iter::{IoVec, IovIter, UBuf, UserMemory};
pub use mount::{Path, Vfs};
pub use namei::{
    do_filp_open, kern_path, vfs_chdir, vfs_fstat, vfs_getcwd, vfs_mkdir, vfs_mkdir_at, vfs_mknod,
    vfs_mknod_at, vfs_open, vfs_rmdir, vfs_rmdir_at, vfs_stat, vfs_stat_at, vfs_unlink,
    vfs_unlink_at,
};
pub use pipe::do_pipe2;
pub use read_write::{
    kernel_read, kernel_write, vfs_llseek, vfs_pread, vfs_preadv, vfs_pwrite, vfs_pwritev,
    vfs_read, vfs_readv, vfs_write, vfs_writev,
};
pub use readdir::vfs_getdents;
pub use select::{do_poll, vfs_poll, PollEntry};

use crate::init::kernel::Kernel;
use uapi::errno::Errno;
use uapi::fcntl::{makedev, S_IFCHR};

/// `vfs_caches_init()` + `mnt_init()` + the devtmpfs nodes: create the
/// `names_cache` slab cache, register the filesystems, mount the ramfs root, create the standard directories,
/// mount /proc, register the memory and tty devices and make their /dev
/// nodes. Runs on init (pid 1) before the init program.
pub fn vfs_caches_init(k: &Kernel) -> Result<(), Errno> {
    let vfs = &k.vfs;
    let names =
        k.mm.kmem_cache_create(
            "names_cache",
            syscalls::PATH_MAX,
            0,
            crate::mm::slab::SLAB_HWCACHE_ALIGN,
        )
        .map_err(|_| uapi::errno::ENOMEM)?;
    let _ = vfs.names_cachep.set(names);
    vfs.register_filesystem(&ramfs::ROOTFS_FS_TYPE)?;
    vfs.register_filesystem(&ramfs::RAMFS_FS_TYPE)?;
    vfs.register_filesystem(&procfs_vfs::PROC_FS_TYPE)?;
    vfs.register_filesystem(&procfs_vfs::DEBUGFS_FS_TYPE)?;
    vfs.register_filesystem(&procfs_vfs::TRACEFS_FS_TYPE)?;
    vfs.register_filesystem(&procfs_vfs::CGROUP_FS_TYPE)?;
    vfs.register_filesystem(&pipe::PIPEFS_FS_TYPE)?;
    vfs.mount_root("rootfs")?;
    let fs = vfs.init_fs().ok_or(uapi::errno::ENOENT)?;
    for (d, mode) in [
        ("/bin", 0o755),
        ("/sbin", 0o755),
        ("/dev", 0o755),
        ("/proc", 0o555),
        ("/tmp", 0o1777),
        ("/etc", 0o755),
        ("/sys", 0o555),
        ("/sys/kernel", 0o755),
        ("/sys/kernel/debug", 0o700),
        ("/sys/kernel/tracing", 0o700),
        ("/sys/fs", 0o755),
        ("/sys/fs/cgroup", 0o755),
        ("/sys/fs/cgroup/memory", 0o755),
    ] {
        vfs_mkdir_at(&fs, None, d, mode)?;
        // mkdir applies the umask; these modes are meant exactly.
        kern_path(d)?
            .inode()
            .ok_or(uapi::errno::ENOENT)?
            .set_mode_perm(mode);
    }
    let proc_dir = namei::path_lookupat(&fs, None, "/proc")?;
    vfs.do_mount("proc", "proc", &proc_dir)?;
    let dbg = namei::path_lookupat(&fs, None, "/sys/kernel/debug")?;
    vfs.do_mount("debugfs", "debugfs", &dbg)?;
    let tr = namei::path_lookupat(&fs, None, "/sys/kernel/tracing")?;
    vfs.do_mount("tracefs", "tracefs", &tr)?;
    let cg = namei::path_lookupat(&fs, None, "/sys/fs/cgroup/memory")?;
    vfs.do_mount("cgroup", "cgroup", &cg)?;
    crate::drivers::char::mem::chr_dev_init()?;
    crate::drivers::tty::tty_init()?;
    for (name, ma, mi, mode) in [
        ("/dev/null", 1, 3, 0o666),
        ("/dev/zero", 1, 5, 0o666),
        ("/dev/tty", 5, 0, 0o666),
        ("/dev/console", 5, 1, 0o600),
    ] {
        vfs_mknod_at(&fs, None, name, S_IFCHR | mode, makedev(ma, mi))?;
        kern_path(name)?
            .inode()
            .ok_or(uapi::errno::ENOENT)?
            .set_mode_perm(mode);
    }
    let _ = k.procfs.create_single("mounts", 0o444, |m| {
        m.puts(&crate::kernel().vfs.mounts_text());
        Ok(())
    });
    let _ = k.procfs.create_single("filesystems", 0o444, |m| {
        m.puts(&crate::kernel().vfs.filesystems_text());
        Ok(())
    });
    let _ = k.procfs.create_single("devices", 0o444, |m| {
        m.puts(&char_dev::chrdev_show());
        Ok(())
    });
    crate::pr_info!("VFS: Mounted root (rootfs filesystem) readwrite.");
    Ok(())
}
