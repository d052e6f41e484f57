//! Character device numbers (`fs/char_dev.c`): drivers register a range
//! of minors under a major with their `file_operations`; opening a
//! character special file looks its `i_rdev` up here (`chrdev_open`) and
//! uses the driver's operations, or fails with `ENXIO`. `/proc/devices`
//! lists the registered majors.
//!
//! Invariant: the ranges registered under one major never overlap.

use super::file::FileOperations;
use crate::kernel;
use uapi::errno::{Errno, EBUSY, EINVAL, ENXIO};
use uapi::fcntl::{major, minor};

/// Character device table entry: minors `[base, base + count)` of `major`.
pub(crate) struct CharDevRegion {
    pub base: u32,
    pub count: u32,
    pub name: String,
    pub fops: &'static super::file::FileOperations,
}

/// `register_chrdev_region()` + `cdev_add()`.
pub fn register_chrdev_region(
    major: u32,
    baseminor: u32,
    count: u32,
    name: &str,
    fops: &'static FileOperations,
) -> Result<(), Errno> {
    if count == 0 || major == 0 || major > 0xfff {
        return Err(EINVAL);
    }
    let k = kernel();
    let mut t = k.vfs.chrdevs.write();
    let regions = t.entry(major).or_default();
    let end = baseminor.checked_add(count).ok_or(EINVAL)?;
    if regions
        .iter()
        .any(|r| baseminor < r.base + r.count && r.base < end)
    {
        return Err(EBUSY);
    }
    regions.push(CharDevRegion {
        base: baseminor,
        count,
        name: name.to_string(),
        fops,
    });
    Ok(())
}

/// `unregister_chrdev_region()`.
pub fn unregister_chrdev_region(major: u32, baseminor: u32) {
    let k = kernel();
    let mut t = k.vfs.chrdevs.write();
    if let Some(v) = t.get_mut(&major) {
        v.retain(|r| r.base != baseminor);
        if v.is_empty() {
            t.remove(&major);
        }
    }
}

/// `chrdev_open()`'s lookup: the operations of device `rdev`.
pub fn chrdev_fops(rdev: u64) -> Result<&'static FileOperations, Errno> {
    let (ma, mi) = (major(rdev), minor(rdev));
    let k = kernel();
    let t = k.vfs.chrdevs.read();
    t.get(&ma)
        .and_then(|v| v.iter().find(|r| mi >= r.base && mi < r.base + r.count))
        .map(|r| r.fops)
        .ok_or(ENXIO)
}

/// The "Character devices:" part of `/proc/devices`.
pub fn chrdev_show() -> String {
    let k = kernel();
    let t = k.vfs.chrdevs.read();
    let mut s = String::from("Character devices:\n");
    for (ma, v) in t.iter() {
        let mut names: Vec<&str> = v.iter().map(|r| r.name.as_str()).collect();
        names.dedup();
        for n in names {
            s.push_str(&format!("{ma:3} {n}\n"));
        }
    }
    s
}
