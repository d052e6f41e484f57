//! User memory: the per-thread scratch area through which every buffer,
//! path, argv and struct reaches the kernel.
//!
//! The scratch is a stack of anonymous private mappings, one per nesting
//! level: a signal handler run while a wrapper's buffer is still live (on
//! the way back from its system call) takes the next level, so it never
//! clobbers that buffer. A level is (re)mapped on demand, grown to the next
//! power of two; only the innermost live level is ever remapped.
//!
//! Invariants: addresses here are user addresses, touched only through
//! [`crate::backend::load`]/[`crate::backend::store`]. After fork the child
//! inherits the same addresses (the kernel copied the address space); after
//! execve they are forgotten (the address space is new).

use crate::backend::{load, store, syscall6};
use crate::Result;
use std::cell::RefCell;
use uapi::mman::{MAP_ANONYMOUS, MAP_PRIVATE, PAGE_SIZE, PROT_READ, PROT_WRITE};
use uapi::unistd::{__NR_mmap, __NR_munmap};
use uapi::Errno;

const MIN_SCRATCH: u64 = 64 * 1024;

/// One mapped scratch level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    pub base: u64,
    pub len: u64,
}

#[derive(Default)]
struct Levels {
    regions: Vec<Region>,
    depth: usize,
}

thread_local! {
    static LEVELS: RefCell<Levels> = RefCell::new(Levels::default());
}

/// The scratch mappings of this thread (to hand to a fork child).
pub fn regions() -> Vec<Region> {
    LEVELS.with(|l| l.borrow().regions.clone())
}

/// Adopt `regions` as this thread's scratch (a fork child: same addresses
/// in the copied address space), or forget all (`&[]`: after execve).
pub fn adopt(regions: &[Region]) {
    LEVELS.with(|l| {
        *l.borrow_mut() = Levels {
            regions: regions.to_vec(),
            depth: 0,
        }
    });
}

/// A live scratch buffer of at least `len` bytes at a user address. Dropping
/// it releases the level.
pub struct Scratch {
    base: u64,
    len: usize,
}

impl Scratch {
    /// Take the next scratch level with room for `len` bytes. No borrow of
    /// the per-thread state is held across the mmap/munmap calls: a signal
    /// handler run on their way back takes the level after this one.
    pub fn new(len: usize) -> Result<Scratch> {
        let need = (len as u64).max(1);
        let (depth, r) = LEVELS.with(|l| {
            let mut l = l.borrow_mut();
            let d = l.depth;
            if l.regions.len() <= d {
                l.regions.push(Region::default());
            }
            l.depth += 1;
            (d, l.regions[d])
        });
        // From here on, dropping `s` releases the level.
        let mut s = Scratch { base: r.base, len };
        if r.len < need {
            let size = need.max(MIN_SCRATCH).next_power_of_two();
            let size = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
            if r.len != 0 {
                syscall6(__NR_munmap, [r.base, r.len, 0, 0, 0, 0]);
            }
            let a = syscall6(
                __NR_mmap,
                [
                    0,
                    size,
                    PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS,
                    u64::MAX,
                    0,
                ],
            );
            let region = if (-4095..0).contains(&a) {
                Region::default()
            } else {
                Region {
                    base: a as u64,
                    len: size,
                }
            };
            LEVELS.with(|l| l.borrow_mut().regions[depth] = region);
            if region.len == 0 {
                return Err(Errno(-a as i32));
            }
            s.base = region.base;
        }
        Ok(s)
    }

    /// The user address of byte `off`.
    pub fn addr(&self, off: usize) -> u64 {
        self.base + off as u64
    }

    /// The usable length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the buffer has no usable bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Store `data` at offset `off`.
    pub fn put(&self, off: usize, data: &[u8]) {
        debug_assert!(off + data.len() <= self.len);
        if !data.is_empty() {
            store(self.addr(off), data);
        }
    }

    /// Load `out.len()` bytes from offset `off`.
    pub fn get(&self, off: usize, out: &mut [u8]) {
        debug_assert!(off + out.len() <= self.len);
        if !out.is_empty() {
            load(self.addr(off), out);
        }
    }

    /// Load `n` bytes from offset `off` into a new vector.
    pub fn get_vec(&self, off: usize, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.get(off, &mut v);
        v
    }

    /// Load a u64 at offset `off`.
    pub fn get_u64(&self, off: usize) -> u64 {
        let mut b = [0u8; 8];
        self.get(off, &mut b);
        u64::from_ne_bytes(b)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        LEVELS.with(|l| {
            let mut l = l.borrow_mut();
            l.depth = l.depth.saturating_sub(1);
        });
    }
}

/// Lays strings and blobs out one after another in a scratch buffer:
/// compute the offsets first, then take the buffer once.
#[derive(Default)]
pub struct Layout {
    parts: Vec<Vec<u8>>,
    offs: Vec<usize>,
    size: usize,
}

impl Layout {
    /// Reserve room for `data` (8-byte aligned); returns its offset.
    pub fn push(&mut self, data: Vec<u8>) -> usize {
        let off = self.size;
        self.size = (off + data.len() + 7) & !7;
        self.offs.push(off);
        self.parts.push(data);
        off
    }

    /// Reserve room for a NUL-terminated copy of `s`; EINVAL when `s`
    /// contains a NUL byte.
    pub fn push_cstr(&mut self, s: &str) -> Result<usize> {
        if s.as_bytes().contains(&0) {
            return Err(uapi::errno::EINVAL);
        }
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        Ok(self.push(v))
    }

    /// Reserve `n` zero bytes (an output buffer); returns its offset.
    pub fn reserve(&mut self, n: usize) -> usize {
        let off = self.size;
        self.size = (off + n + 7) & !7;
        off
    }

    /// Take the scratch and store every pushed part.
    pub fn build(self) -> Result<Scratch> {
        let s = Scratch::new(self.size)?;
        for (off, p) in self.offs.iter().zip(&self.parts) {
            s.put(*off, p);
        }
        Ok(s)
    }
}

/// Read a NUL-terminated string at user address `addr` (at most `max`
/// bytes), page by page so that no load crosses past the terminator's page.
pub fn load_cstr(addr: u64, max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut a = addr;
    while out.len() < max {
        let chunk = ((PAGE_SIZE - a % PAGE_SIZE) as usize).min(max - out.len());
        let mut buf = vec![0u8; chunk];
        load(a, &mut buf);
        if let Some(n) = buf.iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..n]);
            return out;
        }
        out.extend_from_slice(&buf);
        a += chunk as u64;
    }
    out
}

/// Load a u64 at user address `addr`.
pub fn load_u64(addr: u64) -> u64 {
    let mut b = [0u8; 8];
    load(addr, &mut b);
    u64::from_ne_bytes(b)
}
