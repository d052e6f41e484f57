//! Memory-management calls: mmap, munmap, mprotect, brk, mremap.

use super::{sc, syscall6};
use crate::Result;
use uapi::unistd::*;

pub fn mmap(addr: u64, len: u64, prot: u64, flags: u64, fd: i32, off: u64) -> Result<u64> {
    Ok(sc(__NR_mmap, &[addr, len, prot, flags, fd as i64 as u64, off])? as u64)
}

pub fn munmap(addr: u64, len: u64) -> Result<()> {
    sc(__NR_munmap, &[addr, len]).map(drop)
}

pub fn mprotect(addr: u64, len: u64, prot: u64) -> Result<()> {
    sc(__NR_mprotect, &[addr, len, prot]).map(drop)
}

/// brk(2) never fails: it returns the (possibly unchanged) break.
pub fn brk(addr: u64) -> u64 {
    syscall6(__NR_brk, [addr, 0, 0, 0, 0, 0]) as u64
}

pub fn mremap(old: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64) -> Result<u64> {
    Ok(sc(__NR_mremap, &[old, old_len, new_len, flags, new_addr])? as u64)
}
