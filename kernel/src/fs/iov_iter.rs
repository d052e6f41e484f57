//! `struct iov_iter`: the one description of the memory an I/O reads into
//! or writes from, as every `read_iter`/`write_iter` method receives it
//! (seed 001, "AIO and vectored operations": one vectored path for read,
//! readv, pread and AIO).
//!
//! Segments are `ITER_KVEC` kernel buffers or `ITER_IOVEC` user ranges
//! reached through a [`UserMemory`] (the syscall layer passes the calling
//! process's address space; a fault ends the copy short, as
//! `copy_to_iter` does). A scalar `read(2)`/`write(2)` buffer is a single
//! segment, [`UBuf`] (Linux's `ITER_UBUF`), which is also what the scalar
//! `read`/`write` file methods receive.
//!
//! Invariants: `count` is the number of bytes left in the remaining
//! segments from `(idx, off)`; the direction is fixed at creation
//! (`ITER_DEST` for reads, `ITER_SOURCE` for writes) and copying the other
//! way is a kernel bug that yields `EFAULT`.

use uapi::errno::{Errno, EFAULT, EINVAL};

/// Largest `iovcnt` of readv/writev (`UIO_MAXIOV`).
pub const UIO_MAXIOV: usize = 1024;
/// Largest total length of one I/O (`MAX_RW_COUNT`, INT_MAX & PAGE_MASK).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Access to a user address space. The syscall layer implements it over
/// `mm_struct` (page-table walk, `EFAULT` on a bad address).
pub trait UserMemory: Sync {
    /// `copy_to_user`: all of `src` to `addr`, or `EFAULT`.
    fn copy_to_user(&self, addr: u64, src: &[u8]) -> Result<(), Errno>;
    /// `copy_from_user`: fill `dst` from `addr`, or `EFAULT`.
    fn copy_from_user(&self, dst: &mut [u8], addr: u64) -> Result<(), Errno>;
}

/// `struct iovec`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoVec {
    pub iov_base: u64,
    pub iov_len: usize,
}

/// One buffer: a kernel slice (read into or written from) or a user range.
pub enum UBuf<'a> {
    KernelDest(&'a mut [u8]),
    KernelSource(&'a [u8]),
    User {
        mem: &'a dyn UserMemory,
        base: u64,
        len: usize,
        dest: bool,
    },
}

impl<'a> UBuf<'a> {
    pub fn len(&self) -> usize {
        match self {
            UBuf::KernelDest(b) => b.len(),
            UBuf::KernelSource(b) => b.len(),
            UBuf::User { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether data flows into this buffer (a read).
    pub fn is_dest(&self) -> bool {
        match self {
            UBuf::KernelDest(_) => true,
            UBuf::KernelSource(_) => false,
            UBuf::User { dest, .. } => *dest,
        }
    }

    /// A shorter-lived view of the same buffer.
    pub fn reborrow(&mut self) -> UBuf<'_> {
        match self {
            UBuf::KernelDest(b) => UBuf::KernelDest(b),
            UBuf::KernelSource(b) => UBuf::KernelSource(b),
            UBuf::User {
                mem,
                base,
                len,
                dest,
            } => UBuf::User {
                mem: *mem,
                base: *base,
                len: *len,
                dest: *dest,
            },
        }
    }

    /// `copy_to_user(buf + off, src)`.
    pub fn copy_to(&mut self, off: usize, src: &[u8]) -> Result<(), Errno> {
        let end = off.checked_add(src.len()).ok_or(EFAULT)?;
        if end > self.len() {
            return Err(EFAULT);
        }
        match self {
            UBuf::KernelDest(b) => {
                b[off..end].copy_from_slice(src);
                Ok(())
            }
            UBuf::KernelSource(_) => Err(EFAULT),
            UBuf::User {
                mem, base, dest, ..
            } => {
                if !*dest {
                    return Err(EFAULT);
                }
                let addr = base.checked_add(off as u64).ok_or(EFAULT)?;
                mem.copy_to_user(addr, src)
            }
        }
    }

    /// `copy_from_user(dst, buf + off)`.
    pub fn copy_from(&self, off: usize, dst: &mut [u8]) -> Result<(), Errno> {
        let end = off.checked_add(dst.len()).ok_or(EFAULT)?;
        if end > self.len() {
            return Err(EFAULT);
        }
        match self {
            UBuf::KernelDest(_) => Err(EFAULT),
            UBuf::KernelSource(b) => {
                dst.copy_from_slice(&b[off..end]);
                Ok(())
            }
            UBuf::User {
                mem, base, dest, ..
            } => {
                if *dest {
                    return Err(EFAULT);
                }
                let addr = base.checked_add(off as u64).ok_or(EFAULT)?;
                mem.copy_from_user(dst, addr)
            }
        }
    }
}

/// `struct iov_iter`.
pub struct IovIter<'a> {
    segs: Vec<UBuf<'a>>,
    dest: bool,
    idx: usize,
    off: usize,
    count: usize,
}

impl<'a> IovIter<'a> {
    fn new(segs: Vec<UBuf<'a>>, dest: bool) -> Self {
        let count = segs.iter().map(|s| s.len()).sum();
        IovIter {
            segs,
            dest,
            idx: 0,
            off: 0,
            count,
        }
    }

    /// An iterator over one buffer (`ITER_UBUF`, `new_sync_read`).
    pub fn from_ubuf(buf: UBuf<'a>) -> Self {
        let dest = buf.is_dest();
        Self::new(vec![buf], dest)
    }

    /// `iov_iter_kvec(ITER_DEST, ...)`: read into kernel buffers.
    pub fn kvec_dest(bufs: Vec<&'a mut [u8]>) -> Self {
        Self::new(bufs.into_iter().map(UBuf::KernelDest).collect(), true)
    }

    /// `iov_iter_kvec(ITER_SOURCE, ...)`: write from kernel buffers.
    pub fn kvec_source(bufs: Vec<&'a [u8]>) -> Self {
        Self::new(bufs.into_iter().map(UBuf::KernelSource).collect(), false)
    }

    /// One kernel buffer to read into.
    pub fn dest(buf: &'a mut [u8]) -> Self {
        Self::kvec_dest(vec![buf])
    }

    /// One kernel buffer to write from.
    pub fn source(buf: &'a [u8]) -> Self {
        Self::kvec_source(vec![buf])
    }

    /// `import_iovec()`: user segments described by `iov`. Checks the
    /// count (`EINVAL` above `UIO_MAXIOV`) and the total length (`EINVAL`
    /// if it overflows `ssize_t`); the total is clamped to `MAX_RW_COUNT`.
    pub fn import_iovec(dest: bool, mem: &'a dyn UserMemory, iov: &[IoVec]) -> Result<Self, Errno> {
        if iov.len() > UIO_MAXIOV {
            return Err(EINVAL);
        }
        let mut total: usize = 0;
        let mut segs = Vec::with_capacity(iov.len());
        for v in iov {
            if v.iov_len > isize::MAX as usize {
                return Err(EINVAL);
            }
            let len = v.iov_len.min(MAX_RW_COUNT - total);
            total += len;
            segs.push(UBuf::User {
                mem,
                base: v.iov_base,
                len,
                dest,
            });
        }
        Ok(Self::new(segs, dest))
    }

    /// `import_ubuf()`: the single user buffer of read(2)/write(2).
    pub fn ubuf(dest: bool, mem: &'a dyn UserMemory, base: u64, len: usize) -> Self {
        Self::new(
            vec![UBuf::User {
                mem,
                base,
                len: len.min(MAX_RW_COUNT),
                dest,
            }],
            dest,
        )
    }

    /// Bytes left (`iov_iter_count`).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Data flows into the iterator (a read).
    pub fn is_dest(&self) -> bool {
        self.dest
    }

    /// Segments left, counting a partly consumed one.
    pub fn nr_segs(&self) -> usize {
        self.segs.len() - self.idx
    }

    /// `iov_iter_truncate()`: never hand out more than `max` bytes.
    pub fn truncate(&mut self, max: usize) {
        if self.count <= max {
            return;
        }
        let mut keep = max + self.off;
        for (i, s) in self.segs.iter_mut().enumerate().skip(self.idx) {
            let l = s.len();
            if keep >= l {
                keep -= l;
                continue;
            }
            let new_len = keep;
            shrink(s, new_len);
            keep = 0;
            let _ = i;
        }
        self.count = max;
    }

    /// `iov_iter_advance()`.
    pub fn advance(&mut self, mut n: usize) {
        n = n.min(self.count);
        self.count -= n;
        while n > 0 {
            let left = self.segs[self.idx].len() - self.off;
            if n < left {
                self.off += n;
                return;
            }
            n -= left;
            self.idx += 1;
            self.off = 0;
        }
        self.skip_empty();
    }

    fn skip_empty(&mut self) {
        while self.idx < self.segs.len() && self.off == self.segs[self.idx].len() {
            self.idx += 1;
            self.off = 0;
        }
    }

    /// `copy_to_iter()`: copy `src` into the iterator and advance; returns
    /// how much was copied (short at the end of the iterator or on a fault).
    pub fn copy_to_iter(&mut self, mut src: &[u8]) -> usize {
        if !self.dest {
            crate::WARN!(true, "copy_to_iter on an ITER_SOURCE iterator");
            return 0;
        }
        let mut done = 0;
        self.skip_empty();
        while !src.is_empty() && self.idx < self.segs.len() {
            let seg = &mut self.segs[self.idx];
            let n = (seg.len() - self.off).min(src.len());
            if seg.copy_to(self.off, &src[..n]).is_err() {
                break;
            }
            src = &src[n..];
            done += n;
            self.advance(n);
        }
        done
    }

    /// `copy_from_iter()`: fill `dst` from the iterator and advance;
    /// returns how much was copied.
    pub fn copy_from_iter(&mut self, dst: &mut [u8]) -> usize {
        if self.dest {
            crate::WARN!(true, "copy_from_iter on an ITER_DEST iterator");
            return 0;
        }
        let mut done = 0;
        self.skip_empty();
        while done < dst.len() && self.idx < self.segs.len() {
            let seg = &self.segs[self.idx];
            let n = (seg.len() - self.off).min(dst.len() - done);
            if seg.copy_from(self.off, &mut dst[done..done + n]).is_err() {
                break;
            }
            done += n;
            self.advance(n);
        }
        done
    }

    /// `iov_iter_zero()`: write `n` zero bytes.
    pub fn zero(&mut self, n: usize) -> usize {
        const Z: [u8; 4096] = [0; 4096];
        let mut done = 0;
        while done < n {
            let c = (n - done).min(Z.len());
            let k = self.copy_to_iter(&Z[..c]);
            done += k;
            if k < c {
                break;
            }
        }
        done
    }

    /// The segments left, one [`UBuf`] view each (for emulating a vectored
    /// call with the scalar method, one call per segment). The first may
    /// be partly consumed: the callback gets it from the current offset.
    pub fn for_each_segment(
        &mut self,
        mut f: impl FnMut(&mut UBuf<'_>) -> Result<(usize, bool), Errno>,
    ) -> Result<usize, Errno> {
        let mut total = 0;
        self.skip_empty();
        while self.idx < self.segs.len() {
            let off = self.off;
            let mut view = match &mut self.segs[self.idx] {
                UBuf::KernelDest(b) => UBuf::KernelDest(&mut b[off..]),
                UBuf::KernelSource(b) => UBuf::KernelSource(&b[off..]),
                UBuf::User {
                    mem,
                    base,
                    len,
                    dest,
                } => UBuf::User {
                    mem: *mem,
                    base: base.wrapping_add(off as u64),
                    len: *len - off,
                    dest: *dest,
                },
            };
            let want = view.len();
            match f(&mut view) {
                Ok((n, more)) => {
                    let n = n.min(want);
                    total += n;
                    self.advance(n);
                    if n < want || !more {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }
}

fn shrink(s: &mut UBuf<'_>, new_len: usize) {
    match s {
        UBuf::KernelDest(b) => {
            let t = std::mem::take(b);
            *b = &mut t[..new_len];
        }
        UBuf::KernelSource(b) => *b = &b[..new_len],
        UBuf::User { len, .. } => *len = new_len,
    }
}

/// A [`UserMemory`] over a kernel-owned byte array mapped at `base`: how
/// in-kernel callers and tests pass "user" pointers (ioctl arguments,
/// iovecs) without a process address space. Addresses outside
/// `[base, base + len)` fault.
pub struct KernelUserMemory {
    pub base: u64,
    data: parking_lot::Mutex<Vec<u8>>,
}

impl KernelUserMemory {
    pub fn new(base: u64, len: usize) -> Self {
        KernelUserMemory {
            base,
            data: parking_lot::Mutex::new(vec![0; len]),
        }
    }

    fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, Errno> {
        let start = addr.checked_sub(self.base).ok_or(EFAULT)? as usize;
        let end = start.checked_add(len).ok_or(EFAULT)?;
        if end > self.data.lock().len() {
            return Err(EFAULT);
        }
        Ok(start..end)
    }

    /// A copy of the bytes at `[addr, addr + len)`.
    pub fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let r = self.range(addr, len)?;
        Ok(self.data.lock()[r].to_vec())
    }

    pub fn write(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        let r = self.range(addr, src.len())?;
        self.data.lock()[r].copy_from_slice(src);
        Ok(())
    }
}

impl UserMemory for KernelUserMemory {
    fn copy_to_user(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        self.write(addr, src)
    }
    fn copy_from_user(&self, dst: &mut [u8], addr: u64) -> Result<(), Errno> {
        let r = self.range(addr, dst.len())?;
        dst.copy_from_slice(&self.data.lock()[r]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_to_iter_spans_segments_and_stops_at_the_end() {
        let (mut a, mut b, mut c) = ([0u8; 2], [0u8; 0], [0u8; 3]);
        let mut it = IovIter::kvec_dest(vec![&mut a, &mut b, &mut c]);
        assert_eq!((it.count(), it.nr_segs()), (5, 3));
        assert_eq!(it.copy_to_iter(b"abc"), 3);
        assert_eq!(it.count(), 2);
        assert_eq!(it.copy_to_iter(b"defgh"), 2);
        assert_eq!(it.copy_to_iter(b"x"), 0);
        drop(it);
        assert_eq!((&a, &c), (b"ab", b"cde"));
    }

    #[test]
    fn truncate_advance_and_per_segment_views() {
        let (x, y) = (b"hello".as_slice(), b"world".as_slice());
        let mut it = IovIter::kvec_source(vec![x, y]);
        it.truncate(7);
        assert_eq!(it.count(), 7);
        it.advance(3);
        let mut seen = Vec::new();
        let n = it
            .for_each_segment(|seg| {
                let mut v = vec![0u8; seg.len()];
                seg.copy_from(0, &mut v).unwrap();
                seen.push(v);
                Ok((seg.len(), true))
            })
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(seen, vec![b"lo".to_vec(), b"wo".to_vec()]);
        assert_eq!(it.count(), 0);
    }

    #[test]
    fn user_segments_fault_short_and_check_limits() {
        let mem = KernelUserMemory::new(0x4000, 8);
        let iov = [
            IoVec {
                iov_base: 0x4000,
                iov_len: 4,
            },
            IoVec {
                iov_base: 0x8000,
                iov_len: 4,
            },
        ];
        let mut it = IovIter::import_iovec(true, &mem, &iov).unwrap();
        assert_eq!(it.copy_to_iter(b"12345678"), 4, "second segment faults");
        assert_eq!(mem.read(0x4000, 4).unwrap(), b"1234");
        let mut src = IovIter::import_iovec(false, &mem, &iov[..1]).unwrap();
        let mut d = [0u8; 4];
        assert_eq!(src.copy_from_iter(&mut d), 4);
        assert_eq!(&d, b"1234");
        // Direction is fixed: a source cannot be written into.
        let mut ub = UBuf::KernelSource(b"ro");
        assert_eq!(ub.copy_to(0, b"x"), Err(EFAULT));
        let huge = [IoVec {
            iov_base: 0,
            iov_len: usize::MAX,
        }];
        assert_eq!(IovIter::import_iovec(true, &mem, &huge).err(), Some(EINVAL));
        let big = [
            IoVec {
                iov_base: 0,
                iov_len: MAX_RW_COUNT,
            },
            IoVec {
                iov_base: 0,
                iov_len: 100,
            },
        ];
        assert_eq!(
            IovIter::import_iovec(true, &mem, &big).unwrap().count(),
            MAX_RW_COUNT
        );
    }
}
