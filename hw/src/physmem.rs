//! Host-backed physical memory: the RAM of the simulated machine.
//!
//! Mechanism: one host allocation, obtained zeroed (`alloc_zeroed`, which for
//! a large size is an anonymous mapping, so untouched frames cost nothing —
//! "sparse/lazy"), cut into 4 KiB page frames numbered by PFN. The memory is
//! typed as `[AtomicU64]`: every access, from any CPU slot or device model, is
//! an atomic operation on a 64-bit word, so concurrent access is always sound
//! (racy programs see torn-but-defined values, as on real hardware, never UB).
//! Sub-word writes use `fetch_and`/`fetch_or` so two writers of different
//! bytes of one word never lose each other's bytes.
//!
//! Invariants: the allocation is `nr_frames * PAGE_SIZE` bytes, 8-byte
//! aligned, and lives as long as the `PhysMem`; every public accessor checks
//! its range and returns [`PhysMemError`] instead of panicking.

use std::alloc::{alloc_zeroed, Layout};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
const WORDS_PER_PAGE: usize = PAGE_SIZE / 8;

/// Errors from physical-memory accesses and construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhysMemError {
    /// Size zero or not a multiple of `PAGE_SIZE`.
    BadSize(u64),
    /// The host could not provide the memory.
    NoMemory(u64),
    /// An access outside `[0, size)`.
    OutOfRange { addr: u64, len: usize },
    /// A word access at an address that is not 8-byte aligned.
    Misaligned(u64),
}

impl fmt::Display for PhysMemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhysMemError::BadSize(s) => {
                write!(
                    f,
                    "physical memory size {s:#x} is not a non-zero multiple of 4096"
                )
            }
            PhysMemError::NoMemory(s) => write!(f, "host cannot provide {s} bytes of memory"),
            PhysMemError::OutOfRange { addr, len } => {
                write!(f, "physical access {addr:#x}+{len:#x} outside memory")
            }
            PhysMemError::Misaligned(a) => write!(f, "misaligned word access at {a:#x}"),
        }
    }
}

impl std::error::Error for PhysMemError {}

/// The machine's RAM.
pub struct PhysMem {
    words: Box<[AtomicU64]>,
}

impl fmt::Debug for PhysMem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhysMem")
            .field("bytes", &self.size())
            .finish()
    }
}

impl PhysMem {
    /// RAM of `bytes` bytes (a non-zero multiple of `PAGE_SIZE`), all zero.
    pub fn new(bytes: u64) -> Result<Self, PhysMemError> {
        if bytes == 0 || !bytes.is_multiple_of(PAGE_SIZE as u64) {
            return Err(PhysMemError::BadSize(bytes));
        }
        let nwords = usize::try_from(bytes / 8).map_err(|_| PhysMemError::NoMemory(bytes))?;
        let layout =
            Layout::array::<AtomicU64>(nwords).map_err(|_| PhysMemError::NoMemory(bytes))?;
        // SAFETY: `layout` has non-zero size (bytes > 0).
        let ptr = unsafe { alloc_zeroed(layout) } as *mut AtomicU64;
        if ptr.is_null() {
            return Err(PhysMemError::NoMemory(bytes));
        }
        // SAFETY: `ptr` is a fresh, zeroed allocation with exactly the layout
        // of `[AtomicU64; nwords]` (the layout `Box<[AtomicU64]>` frees with);
        // an all-zero bit pattern is a valid `AtomicU64`; ownership passes to
        // the box.
        let words = unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, nwords)) };
        Ok(PhysMem { words })
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.words.len() as u64 * 8
    }

    /// Number of 4 KiB frames.
    pub fn nr_frames(&self) -> usize {
        self.words.len() / WORDS_PER_PAGE
    }

    fn check(&self, addr: u64, len: usize) -> Result<(), PhysMemError> {
        match addr.checked_add(len as u64) {
            Some(end) if end <= self.size() => Ok(()),
            _ => Err(PhysMemError::OutOfRange { addr, len }),
        }
    }

    fn frame_words(&self, pfn: usize) -> Result<&[AtomicU64], PhysMemError> {
        let start = pfn
            .checked_mul(WORDS_PER_PAGE)
            .filter(|s| s + WORDS_PER_PAGE <= self.words.len())
            .ok_or(PhysMemError::OutOfRange {
                addr: (pfn as u64).wrapping_mul(PAGE_SIZE as u64),
                len: PAGE_SIZE,
            })?;
        Ok(&self.words[start..start + WORDS_PER_PAGE])
    }

    /// Reads the aligned 64-bit word at `addr`.
    pub fn read_u64(&self, addr: u64) -> Result<u64, PhysMemError> {
        if !addr.is_multiple_of(8) {
            return Err(PhysMemError::Misaligned(addr));
        }
        self.check(addr, 8)?;
        Ok(self.words[(addr / 8) as usize].load(Ordering::Relaxed))
    }

    /// Writes the aligned 64-bit word at `addr`.
    pub fn write_u64(&self, addr: u64, val: u64) -> Result<(), PhysMemError> {
        if !addr.is_multiple_of(8) {
            return Err(PhysMemError::Misaligned(addr));
        }
        self.check(addr, 8)?;
        self.words[(addr / 8) as usize].store(val, Ordering::Relaxed);
        Ok(())
    }

    /// Copies `buf.len()` bytes starting at physical `addr` into `buf`.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), PhysMemError> {
        self.check(addr, buf.len())?;
        let mut a = addr;
        let mut done = 0;
        while done < buf.len() {
            let w = self.words[(a / 8) as usize]
                .load(Ordering::Relaxed)
                .to_le_bytes();
            let off = (a % 8) as usize;
            let n = (8 - off).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&w[off..off + n]);
            done += n;
            a += n as u64;
        }
        Ok(())
    }

    /// Copies `buf` to physical memory starting at `addr`.
    pub fn write(&self, addr: u64, buf: &[u8]) -> Result<(), PhysMemError> {
        self.check(addr, buf.len())?;
        let mut a = addr;
        let mut done = 0;
        while done < buf.len() {
            let word = &self.words[(a / 8) as usize];
            let off = (a % 8) as usize;
            let n = (8 - off).min(buf.len() - done);
            if n == 8 {
                let mut b = [0u8; 8];
                b.copy_from_slice(&buf[done..done + 8]);
                word.store(u64::from_le_bytes(b), Ordering::Relaxed);
            } else {
                let mut val = [0u8; 8];
                let mut mask = [0u8; 8];
                val[off..off + n].copy_from_slice(&buf[done..done + n]);
                mask[off..off + n].fill(0xff);
                let (val, mask) = (u64::from_le_bytes(val), u64::from_le_bytes(mask));
                word.fetch_and(!mask, Ordering::Relaxed);
                word.fetch_or(val, Ordering::Relaxed);
            }
            done += n;
            a += n as u64;
        }
        Ok(())
    }

    /// Fills frame `pfn` with zeroes (`clear_page`).
    pub fn zero_frame(&self, pfn: usize) -> Result<(), PhysMemError> {
        for w in self.frame_words(pfn)? {
            w.store(0, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Copies frame `src` to frame `dst` (`copy_page`, used by migration).
    pub fn copy_frame(&self, dst: usize, src: usize) -> Result<(), PhysMemError> {
        let s = self.frame_words(src)?;
        let d = self.frame_words(dst)?;
        for (d, s) in d.iter().zip(s) {
            d.store(s.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_sizes_are_errors() {
        assert_eq!(PhysMem::new(0).unwrap_err(), PhysMemError::BadSize(0));
        assert_eq!(PhysMem::new(4097).unwrap_err(), PhysMemError::BadSize(4097));
    }

    #[test]
    fn lazily_zeroed_and_bounds_checked() {
        let m = PhysMem::new(1 << 30).unwrap();
        assert_eq!(m.nr_frames(), 262144);
        assert_eq!(m.read_u64((1 << 30) - 8).unwrap(), 0);
        assert!(m.read_u64(1 << 30).is_err());
        assert!(m.read_u64(3).is_err());
        let mut b = [1u8; 16];
        assert!(m.read((1 << 30) - 8, &mut b).is_err());
        assert!(m.write(u64::MAX - 2, &b).is_err());
        assert!(m.zero_frame(262144).is_err());
        assert!(m.copy_frame(usize::MAX, 0).is_err());
    }

    #[test]
    fn unaligned_round_trip_and_copy() {
        let m = PhysMem::new(3 * PAGE_SIZE as u64).unwrap();
        let data: Vec<u8> = (0..100u8).collect();
        m.write(4093, &data).unwrap();
        let mut back = vec![0u8; 100];
        m.read(4093, &mut back).unwrap();
        assert_eq!(back, data);
        m.copy_frame(2, 1).unwrap();
        m.read(2 * 4096, &mut back[..90]).unwrap();
        assert_eq!(&back[..90], &data[3..93]);
        m.zero_frame(1).unwrap();
        assert_eq!(m.read_u64(4096).unwrap(), 0);
        // byte 4095 (frame 0) survives zeroing frame 1
        let mut one = [0u8; 1];
        m.read(4095, &mut one).unwrap();
        assert_eq!(one[0], 2);
    }

    #[test]
    fn concurrent_byte_writers_do_not_lose_bytes() {
        let m = std::sync::Arc::new(PhysMem::new(PAGE_SIZE as u64).unwrap());
        let hs: Vec<_> = (0..8u8)
            .map(|i| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        m.write(i as u64, &[i + 1]).unwrap();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        let mut b = [0u8; 8];
        m.read(0, &mut b).unwrap();
        assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8]);
    }
}
