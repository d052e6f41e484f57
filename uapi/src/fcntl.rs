//! File-related ABI constants with Linux x86-64 values: open flags
//! (`include/uapi/asm-generic/fcntl.h`), `fcntl` commands, `AT_*`, `lseek`
//! whence values, file types and permission bits (`stat.h`), `d_type`
//! values of `getdents64`, and the `linux_dirent64` record layout.
//! Shared verbatim by the kernel and user programs.

// open(2) flags.
pub const O_ACCMODE: u32 = 0o3;
pub const O_RDONLY: u32 = 0o0;
pub const O_WRONLY: u32 = 0o1;
pub const O_RDWR: u32 = 0o2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DSYNC: u32 = 0o10000;
pub const O_ASYNC: u32 = 0o20000;
pub const O_DIRECT: u32 = 0o40000;
pub const O_LARGEFILE: u32 = 0o100000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_NOATIME: u32 = 0o1000000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_SYNC: u32 = 0o4000000 | O_DSYNC;
pub const O_PATH: u32 = 0o10000000;
pub const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;
pub const O_NDELAY: u32 = O_NONBLOCK;

// fcntl(2) commands.
pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_SETOWN: u32 = 8;
pub const F_GETOWN: u32 = 9;
pub const F_LINUX_SPECIFIC_BASE: u32 = 1024;
pub const F_DUPFD_CLOEXEC: u32 = F_LINUX_SPECIFIC_BASE + 6;
pub const F_SETPIPE_SZ: u32 = F_LINUX_SPECIFIC_BASE + 7;
pub const F_GETPIPE_SZ: u32 = F_LINUX_SPECIFIC_BASE + 8;
/// The close-on-exec bit of `F_GETFD`/`F_SETFD`.
pub const FD_CLOEXEC: u32 = 1;

// *at() conventions.
pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_REMOVEDIR: u32 = 0x200;
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
pub const AT_EMPTY_PATH: u32 = 0x1000;

// lseek(2) whence.
pub const SEEK_SET: i32 = 0;
pub const SEEK_CUR: i32 = 1;
pub const SEEK_END: i32 = 2;
pub const SEEK_DATA: i32 = 3;
pub const SEEK_HOLE: i32 = 4;

// File types and permission bits (st_mode).
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
pub const S_IRWXUGO: u32 = 0o777;
pub const S_IALLUGO: u32 = 0o7777;

pub const fn s_isreg(m: u32) -> bool {
    m & S_IFMT == S_IFREG
}
pub const fn s_isdir(m: u32) -> bool {
    m & S_IFMT == S_IFDIR
}
pub const fn s_ischr(m: u32) -> bool {
    m & S_IFMT == S_IFCHR
}
pub const fn s_isfifo(m: u32) -> bool {
    m & S_IFMT == S_IFIFO
}
pub const fn s_islnk(m: u32) -> bool {
    m & S_IFMT == S_IFLNK
}

// d_type of getdents64 records.
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;

/// `S_DT(mode)`: the d_type of a file type.
pub const fn s_dt(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// Longest path (`PATH_MAX`, including the NUL) and name (`NAME_MAX`).
pub const PATH_MAX: usize = 4096;
pub const NAME_MAX: usize = 255;

/// `PIPE_BUF`: writes up to this size to a pipe are atomic.
pub const PIPE_BUF: usize = 4096;

/// `dev_t` as the kernel encodes it (`new_encode_dev`/`huge_encode_dev`).
pub const fn makedev(major: u32, minor: u32) -> u64 {
    ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12)) as u64
}
pub const fn major(dev: u64) -> u32 {
    ((dev >> 8) & 0xfff) as u32
}
pub const fn minor(dev: u64) -> u32 {
    ((dev & 0xff) | ((dev >> 12) & 0xfff00)) as u32
}

/// One record of `getdents64` (`struct linux_dirent64`): `d_ino` u64,
/// `d_off` i64, `d_reclen` u16, `d_type` u8, then the NUL-terminated name,
/// padded so that `d_reclen` is a multiple of 8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinuxDirent64 {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_type: u8,
    pub d_name: String,
}

impl LinuxDirent64 {
    /// Offset of `d_name` in the record.
    pub const NAME_OFFSET: usize = 19;

    /// The record length for a name of `len` bytes.
    pub const fn reclen(len: usize) -> usize {
        (Self::NAME_OFFSET + len + 1 + 7) & !7
    }

    /// Append the record to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let reclen = Self::reclen(self.d_name.len());
        let start = out.len();
        out.extend_from_slice(&self.d_ino.to_ne_bytes());
        out.extend_from_slice(&self.d_off.to_ne_bytes());
        out.extend_from_slice(&(reclen as u16).to_ne_bytes());
        out.push(self.d_type);
        out.extend_from_slice(self.d_name.as_bytes());
        out.resize(start + reclen, 0);
    }

    /// Parse all records of a `getdents64` result; `None` if malformed.
    pub fn parse_all(mut buf: &[u8]) -> Option<Vec<LinuxDirent64>> {
        let mut v = Vec::new();
        while !buf.is_empty() {
            if buf.len() < Self::NAME_OFFSET + 1 {
                return None;
            }
            let reclen = u16::from_ne_bytes([buf[16], buf[17]]) as usize;
            if reclen < Self::NAME_OFFSET + 1 || reclen > buf.len() {
                return None;
            }
            let name = &buf[Self::NAME_OFFSET..reclen];
            let end = name.iter().position(|&b| b == 0)?;
            v.push(LinuxDirent64 {
                d_ino: u64::from_ne_bytes(buf[0..8].try_into().ok()?),
                d_off: i64::from_ne_bytes(buf[8..16].try_into().ok()?),
                d_type: buf[18],
                d_name: String::from_utf8_lossy(&name[..end]).into_owned(),
            });
            buf = &buf[reclen..];
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirent_roundtrip_and_alignment() {
        let mut out = Vec::new();
        let a = LinuxDirent64 {
            d_ino: 7,
            d_off: 1,
            d_type: DT_DIR,
            d_name: ".".into(),
        };
        let b = LinuxDirent64 {
            d_ino: 9,
            d_off: 2,
            d_type: DT_REG,
            d_name: "hello.txt".into(),
        };
        a.encode(&mut out);
        assert_eq!(out.len(), 24);
        b.encode(&mut out);
        assert_eq!(out.len() % 8, 0);
        assert_eq!(LinuxDirent64::parse_all(&out), Some(vec![a, b]));
        assert_eq!(LinuxDirent64::parse_all(&out[..20]), None);
    }

    #[test]
    fn dev_encoding() {
        let d = makedev(5, 1);
        assert_eq!(d, 0x501);
        assert_eq!((major(d), minor(d)), (5, 1));
        let big = makedev(259, 70000);
        assert_eq!((major(big), minor(big)), (259, 70000));
        assert_eq!(s_dt(S_IFDIR | 0o755), DT_DIR);
        assert_eq!(s_dt(S_IFCHR), DT_CHR);
    }
}
