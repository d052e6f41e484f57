//! `populate_rootfs()` (init/initramfs.c): the files the root filesystem
//! starts with. usk's initramfs is a list of (path, mode, contents) given
//! at boot rather than a cpio archive; directories along each path are
//! created (mode 0755) as the cpio unpacker would.

use crate::fs::namei::vfs_mkdir_at;
use crate::init::kernel::Kernel;
use std::sync::Arc;
use uapi::errno::{Errno, EEXIST};
use uapi::fcntl::{O_CREAT, O_TRUNC, O_WRONLY};

/// Create the missing directories above `path` (mode 0755).
fn mkdir_parents(fs: &crate::fs::FsStruct, path: &str) -> Result<(), Errno> {
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let mut dir = String::new();
    for c in &parts[..parts.len().saturating_sub(1)] {
        dir.push('/');
        dir.push_str(c);
        match vfs_mkdir_at(fs, None, &dir, 0o755) {
            Ok(()) | Err(EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Create `path` (and its parent directories) holding `data`.
fn write_file(
    fs: &crate::fs::FsStruct,
    path: &str,
    data: &[u8],
) -> Result<Arc<crate::fs::File>, Errno> {
    mkdir_parents(fs, path)?;
    let f = crate::fs::namei::do_filp_open(fs, None, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)?;
    crate::fs::read_write::kernel_write(&f, data)?;
    Ok(f)
}

/// Unpack `files` into the root filesystem, then the kernel's modules.
pub fn populate_rootfs(k: &Kernel, files: &[(String, u32, Vec<u8>)]) -> Result<(), Errno> {
    let fs = k.vfs.init_fs().ok_or(uapi::errno::ENOENT)?;
    for (path, mode, data) in files {
        write_file(&fs, path, data)?
            .inode()
            .set_mode_perm(*mode & 0o7777);
    }
    // The modules built into this kernel, as files insmod can load.
    for info in crate::kernel::module::MODULE_IMAGES {
        let path = format!("{}/{}.ko", crate::kernel::module::modules_dir(), info.name);
        write_file(&fs, &path, &crate::kernel::module::module_file_image(info))?;
    }
    if !files.is_empty() {
        crate::pr_info!("Unpacking initramfs... {} files", files.len());
    }
    Ok(())
}
