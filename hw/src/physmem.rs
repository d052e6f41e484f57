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

/// Where a byte range falls on the words of memory: `head` bytes from byte
/// `off` of word `first` (none if the range starts on a word boundary),
/// then `whole` full words, then whatever is left at the start of the next.
struct WordSpan {
    first: usize,
    off: usize,
    head: usize,
    whole: usize,
}

impl WordSpan {
    /// Index of the first whole word.
    fn body(&self) -> usize {
        self.first + usize::from(self.head > 0)
    }
}

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

    /// How `len` bytes at `addr` fall on words, after the range check.
    fn span(&self, addr: u64, len: usize) -> Result<WordSpan, PhysMemError> {
        self.check(addr, len)?;
        let off = (addr % 8) as usize;
        let head = if off == 0 { 0 } else { (8 - off).min(len) };
        let whole = (len - head) / 8;
        Ok(WordSpan {
            first: (addr / 8) as usize,
            off,
            head,
            whole,
        })
    }

    /// Copies `buf.len()` bytes starting at physical `addr` into `buf`:
    /// a partial first word, whole words, a partial last word (one
    /// relaxed load per word; the whole-word loop has no per-word call).
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), PhysMemError> {
        let sp = self.span(addr, buf.len())?;
        let (h, rest) = buf.split_at_mut(sp.head);
        let (body, tail) = rest.split_at_mut(sp.whole * 8);
        if sp.head > 0 {
            let w = self.words[sp.first].load(Ordering::Relaxed).to_le_bytes();
            h.copy_from_slice(&w[sp.off..sp.off + sp.head]);
        }
        let body_words = &self.words[sp.body()..sp.body() + sp.whole];
        for (c, w) in body.chunks_exact_mut(8).zip(body_words) {
            c.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        if !tail.is_empty() {
            let w = self.words[sp.body() + sp.whole]
                .load(Ordering::Relaxed)
                .to_le_bytes();
            tail.copy_from_slice(&w[..tail.len()]);
        }
        Ok(())
    }

    /// Stores bytes `off..off + bytes.len()` of the word at index `word`
    /// without touching its other bytes (two atomic read-modify-writes, so
    /// a concurrent writer of the other bytes is never undone).
    fn write_partial(&self, word: usize, off: usize, bytes: &[u8]) {
        let mut val = [0u8; 8];
        let mut mask = [0u8; 8];
        val[off..off + bytes.len()].copy_from_slice(bytes);
        mask[off..off + bytes.len()].fill(0xff);
        let (val, mask) = (u64::from_le_bytes(val), u64::from_le_bytes(mask));
        let w = &self.words[word];
        w.fetch_and(!mask, Ordering::Relaxed);
        w.fetch_or(val, Ordering::Relaxed);
    }

    /// Copies `buf` to physical memory starting at `addr`: whole words are
    /// plain relaxed stores, a partial first or last word keeps the bytes
    /// around it.
    pub fn write(&self, addr: u64, buf: &[u8]) -> Result<(), PhysMemError> {
        let sp = self.span(addr, buf.len())?;
        let (h, rest) = buf.split_at(sp.head);
        let (body, tail) = rest.split_at(sp.whole * 8);
        if sp.head > 0 {
            self.write_partial(sp.first, sp.off, h);
        }
        let body_words = &self.words[sp.body()..sp.body() + sp.whole];
        for (c, w) in body.chunks_exact(8).zip(body_words) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            w.store(u64::from_le_bytes(b), Ordering::Relaxed);
        }
        if !tail.is_empty() {
            self.write_partial(sp.body() + sp.whole, 0, tail);
        }
        Ok(())
    }

    /// The host address of physical `addr..addr + len`, for a kernel object
    /// that lives in RAM (a slab object holding a Rust value). The pointer
    /// is valid while this `PhysMem` lives; it is derived from the whole
    /// allocation, whose words are `UnsafeCell`s, so writing through it is
    /// allowed — provided nobody accesses those bytes concurrently (the
    /// caller's invariant: it owns them).
    pub fn host_ptr(&self, addr: u64, len: usize) -> Result<*mut u8, PhysMemError> {
        self.check(addr, len)?;
        Ok(self
            .words
            .as_ptr()
            .cast::<u8>()
            .cast_mut()
            .wrapping_add(addr as usize))
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
    fn host_ptr_is_the_bytes_of_ram() {
        let m = PhysMem::new(PAGE_SIZE as u64).unwrap();
        assert!(m.host_ptr(PAGE_SIZE as u64 - 4, 8).is_err());
        assert!(m.host_ptr(u64::MAX, 1).is_err());
        let p = m.host_ptr(16, 8).unwrap();
        // SAFETY: 8 in-range bytes of `m`, accessed by this thread only.
        unsafe { p.cast::<u64>().write(0x1122_3344_5566_7788) };
        assert_eq!(m.read_u64(16).unwrap(), 0x1122_3344_5566_7788);
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
    fn every_alignment_and_length_matches_a_byte_model() {
        let m = PhysMem::new(PAGE_SIZE as u64).unwrap();
        let mut model = vec![0u8; 64];
        let mut stamp = 0u8;
        for addr in 0..17usize {
            for len in 0..41usize {
                stamp = stamp.wrapping_add(1);
                let data: Vec<u8> = (0..len).map(|i| stamp ^ i as u8).collect();
                m.write(addr as u64, &data).unwrap();
                model[addr..addr + len].copy_from_slice(&data);
                let mut all = vec![0u8; 64];
                m.read(0, &mut all).unwrap();
                assert_eq!(all, model, "write {len} at {addr}");
                let mut part = vec![0u8; len];
                m.read(addr as u64, &mut part).unwrap();
                assert_eq!(part, data, "read {len} at {addr}");
            }
        }
        // the last bytes of memory, aligned and not
        let end = PAGE_SIZE as u64;
        m.write(end - 3, b"xyz").unwrap();
        m.write(end - 8, b"").unwrap();
        let mut b = [0u8; 3];
        m.read(end - 3, &mut b).unwrap();
        assert_eq!(&b, b"xyz");
        assert!(m.read(end, &mut []).is_ok());
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
