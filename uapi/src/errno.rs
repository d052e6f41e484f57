//! errno values (include/uapi/asm-generic/errno-base.h and errno.h) and the
//! messages glibc's strerror() gives for them, shared by kernel and user space.

/// An errno value (positive). Syscalls return it negated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

pub const EPERM: Errno = Errno(1);
pub const ENOENT: Errno = Errno(2);
pub const ESRCH: Errno = Errno(3);
pub const EINTR: Errno = Errno(4);
pub const EIO: Errno = Errno(5);
pub const ENXIO: Errno = Errno(6);
pub const E2BIG: Errno = Errno(7);
pub const ENOEXEC: Errno = Errno(8);
pub const EBADF: Errno = Errno(9);
pub const ECHILD: Errno = Errno(10);
pub const EAGAIN: Errno = Errno(11);
pub const ENOMEM: Errno = Errno(12);
pub const EACCES: Errno = Errno(13);
pub const EFAULT: Errno = Errno(14);
pub const ENOTBLK: Errno = Errno(15);
pub const EBUSY: Errno = Errno(16);
pub const EEXIST: Errno = Errno(17);
pub const EXDEV: Errno = Errno(18);
pub const ENODEV: Errno = Errno(19);
pub const ENOTDIR: Errno = Errno(20);
pub const EISDIR: Errno = Errno(21);
pub const EINVAL: Errno = Errno(22);
pub const ENFILE: Errno = Errno(23);
pub const EMFILE: Errno = Errno(24);
pub const ENOTTY: Errno = Errno(25);
pub const ETXTBSY: Errno = Errno(26);
pub const EFBIG: Errno = Errno(27);
pub const ENOSPC: Errno = Errno(28);
pub const ESPIPE: Errno = Errno(29);
pub const EROFS: Errno = Errno(30);
pub const EMLINK: Errno = Errno(31);
pub const EPIPE: Errno = Errno(32);
pub const EDOM: Errno = Errno(33);
pub const ERANGE: Errno = Errno(34);
pub const EDEADLK: Errno = Errno(35);
pub const ENAMETOOLONG: Errno = Errno(36);
pub const ENOSYS: Errno = Errno(38);
pub const ENOTEMPTY: Errno = Errno(39);
pub const ETIME: Errno = Errno(62);
pub const EOPNOTSUPP: Errno = Errno(95);
pub const ETIMEDOUT: Errno = Errno(110);
pub const ECANCELED: Errno = Errno(125);
/// Same value as EAGAIN.
pub const EWOULDBLOCK: Errno = EAGAIN;
/// Kernel-internal: restart the system call (never seen by user space).
pub const ERESTARTSYS: Errno = Errno(512);

const TABLE: &[(Errno, &str, &str)] = &[
    (EPERM, "EPERM", "Operation not permitted"),
    (ENOENT, "ENOENT", "No such file or directory"),
    (ESRCH, "ESRCH", "No such process"),
    (EINTR, "EINTR", "Interrupted system call"),
    (EIO, "EIO", "Input/output error"),
    (ENXIO, "ENXIO", "No such device or address"),
    (E2BIG, "E2BIG", "Argument list too long"),
    (ENOEXEC, "ENOEXEC", "Exec format error"),
    (EBADF, "EBADF", "Bad file descriptor"),
    (ECHILD, "ECHILD", "No child processes"),
    (EAGAIN, "EAGAIN", "Resource temporarily unavailable"),
    (ENOMEM, "ENOMEM", "Cannot allocate memory"),
    (EACCES, "EACCES", "Permission denied"),
    (EFAULT, "EFAULT", "Bad address"),
    (ENOTBLK, "ENOTBLK", "Block device required"),
    (EBUSY, "EBUSY", "Device or resource busy"),
    (EEXIST, "EEXIST", "File exists"),
    (EXDEV, "EXDEV", "Invalid cross-device link"),
    (ENODEV, "ENODEV", "No such device"),
    (ENOTDIR, "ENOTDIR", "Not a directory"),
    (EISDIR, "EISDIR", "Is a directory"),
    (EINVAL, "EINVAL", "Invalid argument"),
    (ENFILE, "ENFILE", "Too many open files in system"),
    (EMFILE, "EMFILE", "Too many open files"),
    (ENOTTY, "ENOTTY", "Inappropriate ioctl for device"),
    (ETXTBSY, "ETXTBSY", "Text file busy"),
    (EFBIG, "EFBIG", "File too large"),
    (ENOSPC, "ENOSPC", "No space left on device"),
    (ESPIPE, "ESPIPE", "Illegal seek"),
    (EROFS, "EROFS", "Read-only file system"),
    (EMLINK, "EMLINK", "Too many links"),
    (EPIPE, "EPIPE", "Broken pipe"),
    (EDOM, "EDOM", "Numerical argument out of domain"),
    (ERANGE, "ERANGE", "Numerical result out of range"),
    (EDEADLK, "EDEADLK", "Resource deadlock avoided"),
    (ENAMETOOLONG, "ENAMETOOLONG", "File name too long"),
    (ENOSYS, "ENOSYS", "Function not implemented"),
    (ENOTEMPTY, "ENOTEMPTY", "Directory not empty"),
    (ETIME, "ETIME", "Timer expired"),
    (EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"),
    (ETIMEDOUT, "ETIMEDOUT", "Connection timed out"),
    (ECANCELED, "ECANCELED", "Operation canceled"),
    (ERESTARTSYS, "ERESTARTSYS", "Unknown error 512"),
];

impl Errno {
    /// The symbolic name (`"ENOENT"`), as strace prints it.
    pub fn name(self) -> Option<&'static str> {
        TABLE.iter().find(|e| e.0 == self).map(|e| e.1)
    }

    /// The message (`"No such file or directory"`).
    pub fn message(self) -> String {
        TABLE
            .iter()
            .find(|e| e.0 == self)
            .map(|e| e.2.to_string())
            .unwrap_or_else(|| format!("Unknown error {}", self.0))
    }

    /// The negative return value of a failed syscall.
    pub fn as_ret(self) -> isize {
        -(self.0 as isize)
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.message()),
            None => write!(f, "{}", self.message()),
        }
    }
}

impl std::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_messages() {
        assert_eq!(ENOENT.name(), Some("ENOENT"));
        assert_eq!(ENOENT.to_string(), "ENOENT (No such file or directory)");
        assert_eq!(Errno(4095).message(), "Unknown error 4095");
        assert_eq!(EINVAL.as_ret(), -22);
    }
}
