//! `struct stat` as `stat`/`fstat`/`newfstatat` return it on x86-64
//! (`arch/x86/include/uapi/asm/stat.h`, 144 bytes).

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atime: Timespec,
    pub st_mtime: Timespec,
    pub st_ctime: Timespec,
}

impl Stat {
    pub const SIZE: usize = 144;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(0, &self.st_dev.to_ne_bytes());
        put(8, &self.st_ino.to_ne_bytes());
        put(16, &self.st_nlink.to_ne_bytes());
        put(24, &self.st_mode.to_ne_bytes());
        put(28, &self.st_uid.to_ne_bytes());
        put(32, &self.st_gid.to_ne_bytes());
        // 36: __pad0
        put(40, &self.st_rdev.to_ne_bytes());
        put(48, &self.st_size.to_ne_bytes());
        put(56, &self.st_blksize.to_ne_bytes());
        put(64, &self.st_blocks.to_ne_bytes());
        for (i, t) in [self.st_atime, self.st_mtime, self.st_ctime]
            .iter()
            .enumerate()
        {
            put(72 + i * 16, &t.tv_sec.to_ne_bytes());
            put(80 + i * 16, &t.tv_nsec.to_ne_bytes());
        }
        // 120..144: __unused[3]
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let q = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let d = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let ts = |o: usize| Timespec {
            tv_sec: q(o) as i64,
            tv_nsec: q(o + 8) as i64,
        };
        Stat {
            st_dev: q(0),
            st_ino: q(8),
            st_nlink: q(16),
            st_mode: d(24),
            st_uid: d(28),
            st_gid: d(32),
            st_rdev: q(40),
            st_size: q(48) as i64,
            st_blksize: q(56) as i64,
            st_blocks: q(64) as i64,
            st_atime: ts(72),
            st_mtime: ts(88),
            st_ctime: ts(104),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let s = Stat {
            st_ino: 42,
            st_mode: 0o100644,
            st_size: 5,
            st_mtime: Timespec {
                tv_sec: 3,
                tv_nsec: 4,
            },
            ..Default::default()
        };
        assert_eq!(Stat::from_bytes(&s.to_bytes()), s);
    }
}
