//! Filesystems. For now: seq_file and the proc filesystem tree (procfs and
//! debugfs share it); the VFS that mounts them arrives with user space.

pub mod proc;
pub mod seq_file;
