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
pub const ENOLCK: Errno = Errno(37);
pub const ENOSYS: Errno = Errno(38);
pub const ENOTEMPTY: Errno = Errno(39);
pub const ELOOP: Errno = Errno(40);
/// Same value as EAGAIN.
pub const EWOULDBLOCK: Errno = EAGAIN;
pub const ENOMSG: Errno = Errno(42);
pub const EIDRM: Errno = Errno(43);
pub const ECHRNG: Errno = Errno(44);
pub const EL2NSYNC: Errno = Errno(45);
pub const EL3HLT: Errno = Errno(46);
pub const EL3RST: Errno = Errno(47);
pub const ELNRNG: Errno = Errno(48);
pub const EUNATCH: Errno = Errno(49);
pub const ENOCSI: Errno = Errno(50);
pub const EL2HLT: Errno = Errno(51);
pub const EBADE: Errno = Errno(52);
pub const EBADR: Errno = Errno(53);
pub const EXFULL: Errno = Errno(54);
pub const ENOANO: Errno = Errno(55);
pub const EBADRQC: Errno = Errno(56);
pub const EBADSLT: Errno = Errno(57);
/// Same value as EDEADLK.
pub const EDEADLOCK: Errno = EDEADLK;
pub const EBFONT: Errno = Errno(59);
pub const ENOSTR: Errno = Errno(60);
pub const ENODATA: Errno = Errno(61);
pub const ETIME: Errno = Errno(62);
pub const ENOSR: Errno = Errno(63);
pub const ENONET: Errno = Errno(64);
pub const ENOPKG: Errno = Errno(65);
pub const EREMOTE: Errno = Errno(66);
pub const ENOLINK: Errno = Errno(67);
pub const EADV: Errno = Errno(68);
pub const ESRMNT: Errno = Errno(69);
pub const ECOMM: Errno = Errno(70);
pub const EPROTO: Errno = Errno(71);
pub const EMULTIHOP: Errno = Errno(72);
pub const EDOTDOT: Errno = Errno(73);
pub const EBADMSG: Errno = Errno(74);
pub const EOVERFLOW: Errno = Errno(75);
pub const ENOTUNIQ: Errno = Errno(76);
pub const EBADFD: Errno = Errno(77);
pub const EREMCHG: Errno = Errno(78);
pub const ELIBACC: Errno = Errno(79);
pub const ELIBBAD: Errno = Errno(80);
pub const ELIBSCN: Errno = Errno(81);
pub const ELIBMAX: Errno = Errno(82);
pub const ELIBEXEC: Errno = Errno(83);
pub const EILSEQ: Errno = Errno(84);
pub const ERESTART: Errno = Errno(85);
pub const ESTRPIPE: Errno = Errno(86);
pub const EUSERS: Errno = Errno(87);
pub const ENOTSOCK: Errno = Errno(88);
pub const EDESTADDRREQ: Errno = Errno(89);
pub const EMSGSIZE: Errno = Errno(90);
pub const EPROTOTYPE: Errno = Errno(91);
pub const ENOPROTOOPT: Errno = Errno(92);
pub const EPROTONOSUPPORT: Errno = Errno(93);
pub const ESOCKTNOSUPPORT: Errno = Errno(94);
pub const EOPNOTSUPP: Errno = Errno(95);
pub const EPFNOSUPPORT: Errno = Errno(96);
pub const EAFNOSUPPORT: Errno = Errno(97);
pub const EADDRINUSE: Errno = Errno(98);
pub const EADDRNOTAVAIL: Errno = Errno(99);
pub const ENETDOWN: Errno = Errno(100);
pub const ENETUNREACH: Errno = Errno(101);
pub const ENETRESET: Errno = Errno(102);
pub const ECONNABORTED: Errno = Errno(103);
pub const ECONNRESET: Errno = Errno(104);
pub const ENOBUFS: Errno = Errno(105);
pub const EISCONN: Errno = Errno(106);
pub const ENOTCONN: Errno = Errno(107);
pub const ESHUTDOWN: Errno = Errno(108);
pub const ETOOMANYREFS: Errno = Errno(109);
pub const ETIMEDOUT: Errno = Errno(110);
pub const ECONNREFUSED: Errno = Errno(111);
pub const EHOSTDOWN: Errno = Errno(112);
pub const EHOSTUNREACH: Errno = Errno(113);
pub const EALREADY: Errno = Errno(114);
pub const EINPROGRESS: Errno = Errno(115);
pub const ESTALE: Errno = Errno(116);
pub const EUCLEAN: Errno = Errno(117);
pub const ENOTNAM: Errno = Errno(118);
pub const ENAVAIL: Errno = Errno(119);
pub const EISNAM: Errno = Errno(120);
pub const EREMOTEIO: Errno = Errno(121);
pub const EDQUOT: Errno = Errno(122);
pub const ENOMEDIUM: Errno = Errno(123);
pub const EMEDIUMTYPE: Errno = Errno(124);
pub const ECANCELED: Errno = Errno(125);
pub const ENOKEY: Errno = Errno(126);
pub const EKEYEXPIRED: Errno = Errno(127);
pub const EKEYREVOKED: Errno = Errno(128);
pub const EKEYREJECTED: Errno = Errno(129);
pub const EOWNERDEAD: Errno = Errno(130);
pub const ENOTRECOVERABLE: Errno = Errno(131);
pub const ERFKILL: Errno = Errno(132);
pub const EHWPOISON: Errno = Errno(133);
/// Kernel-internal restart codes (include/linux/errno.h): never seen by
/// user space; the signal code turns them into EINTR or a restart.
pub const ERESTARTSYS: Errno = Errno(512);
pub const ERESTARTNOINTR: Errno = Errno(513);
pub const ERESTARTNOHAND: Errno = Errno(514);
pub const ENOIOCTLCMD: Errno = Errno(515);
pub const ERESTART_RESTARTBLOCK: Errno = Errno(516);

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
    (ENOLCK, "ENOLCK", "No locks available"),
    (ENOSYS, "ENOSYS", "Function not implemented"),
    (ENOTEMPTY, "ENOTEMPTY", "Directory not empty"),
    (ELOOP, "ELOOP", "Too many levels of symbolic links"),
    (ENOMSG, "ENOMSG", "No message of desired type"),
    (EIDRM, "EIDRM", "Identifier removed"),
    (ECHRNG, "ECHRNG", "Channel number out of range"),
    (EL2NSYNC, "EL2NSYNC", "Level 2 not synchronized"),
    (EL3HLT, "EL3HLT", "Level 3 halted"),
    (EL3RST, "EL3RST", "Level 3 reset"),
    (ELNRNG, "ELNRNG", "Link number out of range"),
    (EUNATCH, "EUNATCH", "Protocol driver not attached"),
    (ENOCSI, "ENOCSI", "No CSI structure available"),
    (EL2HLT, "EL2HLT", "Level 2 halted"),
    (EBADE, "EBADE", "Invalid exchange"),
    (EBADR, "EBADR", "Invalid request descriptor"),
    (EXFULL, "EXFULL", "Exchange full"),
    (ENOANO, "ENOANO", "No anode"),
    (EBADRQC, "EBADRQC", "Invalid request code"),
    (EBADSLT, "EBADSLT", "Invalid slot"),
    (EBFONT, "EBFONT", "Bad font file format"),
    (ENOSTR, "ENOSTR", "Device not a stream"),
    (ENODATA, "ENODATA", "No data available"),
    (ETIME, "ETIME", "Timer expired"),
    (ENOSR, "ENOSR", "Out of streams resources"),
    (ENONET, "ENONET", "Machine is not on the network"),
    (ENOPKG, "ENOPKG", "Package not installed"),
    (EREMOTE, "EREMOTE", "Object is remote"),
    (ENOLINK, "ENOLINK", "Link has been severed"),
    (EADV, "EADV", "Advertise error"),
    (ESRMNT, "ESRMNT", "Srmount error"),
    (ECOMM, "ECOMM", "Communication error on send"),
    (EPROTO, "EPROTO", "Protocol error"),
    (EMULTIHOP, "EMULTIHOP", "Multihop attempted"),
    (EDOTDOT, "EDOTDOT", "RFS specific error"),
    (EBADMSG, "EBADMSG", "Bad message"),
    (
        EOVERFLOW,
        "EOVERFLOW",
        "Value too large for defined data type",
    ),
    (ENOTUNIQ, "ENOTUNIQ", "Name not unique on network"),
    (EBADFD, "EBADFD", "File descriptor in bad state"),
    (EREMCHG, "EREMCHG", "Remote address changed"),
    (ELIBACC, "ELIBACC", "Can not access a needed shared library"),
    (ELIBBAD, "ELIBBAD", "Accessing a corrupted shared library"),
    (ELIBSCN, "ELIBSCN", ".lib section in a.out corrupted"),
    (
        ELIBMAX,
        "ELIBMAX",
        "Attempting to link in too many shared libraries",
    ),
    (
        ELIBEXEC,
        "ELIBEXEC",
        "Cannot exec a shared library directly",
    ),
    (
        EILSEQ,
        "EILSEQ",
        "Invalid or incomplete multibyte or wide character",
    ),
    (
        ERESTART,
        "ERESTART",
        "Interrupted system call should be restarted",
    ),
    (ESTRPIPE, "ESTRPIPE", "Streams pipe error"),
    (EUSERS, "EUSERS", "Too many users"),
    (ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket"),
    (EDESTADDRREQ, "EDESTADDRREQ", "Destination address required"),
    (EMSGSIZE, "EMSGSIZE", "Message too long"),
    (EPROTOTYPE, "EPROTOTYPE", "Protocol wrong type for socket"),
    (ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"),
    (EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported"),
    (
        ESOCKTNOSUPPORT,
        "ESOCKTNOSUPPORT",
        "Socket type not supported",
    ),
    (EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"),
    (
        EPFNOSUPPORT,
        "EPFNOSUPPORT",
        "Protocol family not supported",
    ),
    (
        EAFNOSUPPORT,
        "EAFNOSUPPORT",
        "Address family not supported by protocol",
    ),
    (EADDRINUSE, "EADDRINUSE", "Address already in use"),
    (
        EADDRNOTAVAIL,
        "EADDRNOTAVAIL",
        "Cannot assign requested address",
    ),
    (ENETDOWN, "ENETDOWN", "Network is down"),
    (ENETUNREACH, "ENETUNREACH", "Network is unreachable"),
    (
        ENETRESET,
        "ENETRESET",
        "Network dropped connection on reset",
    ),
    (
        ECONNABORTED,
        "ECONNABORTED",
        "Software caused connection abort",
    ),
    (ECONNRESET, "ECONNRESET", "Connection reset by peer"),
    (ENOBUFS, "ENOBUFS", "No buffer space available"),
    (
        EISCONN,
        "EISCONN",
        "Transport endpoint is already connected",
    ),
    (ENOTCONN, "ENOTCONN", "Transport endpoint is not connected"),
    (
        ESHUTDOWN,
        "ESHUTDOWN",
        "Cannot send after transport endpoint shutdown",
    ),
    (
        ETOOMANYREFS,
        "ETOOMANYREFS",
        "Too many references: cannot splice",
    ),
    (ETIMEDOUT, "ETIMEDOUT", "Connection timed out"),
    (ECONNREFUSED, "ECONNREFUSED", "Connection refused"),
    (EHOSTDOWN, "EHOSTDOWN", "Host is down"),
    (EHOSTUNREACH, "EHOSTUNREACH", "No route to host"),
    (EALREADY, "EALREADY", "Operation already in progress"),
    (EINPROGRESS, "EINPROGRESS", "Operation now in progress"),
    (ESTALE, "ESTALE", "Stale file handle"),
    (EUCLEAN, "EUCLEAN", "Structure needs cleaning"),
    (ENOTNAM, "ENOTNAM", "Not a XENIX named type file"),
    (ENAVAIL, "ENAVAIL", "No XENIX semaphores available"),
    (EISNAM, "EISNAM", "Is a named type file"),
    (EREMOTEIO, "EREMOTEIO", "Remote I/O error"),
    (EDQUOT, "EDQUOT", "Disk quota exceeded"),
    (ENOMEDIUM, "ENOMEDIUM", "No medium found"),
    (EMEDIUMTYPE, "EMEDIUMTYPE", "Wrong medium type"),
    (ECANCELED, "ECANCELED", "Operation canceled"),
    (ENOKEY, "ENOKEY", "Required key not available"),
    (EKEYEXPIRED, "EKEYEXPIRED", "Key has expired"),
    (EKEYREVOKED, "EKEYREVOKED", "Key has been revoked"),
    (EKEYREJECTED, "EKEYREJECTED", "Key was rejected by service"),
    (EOWNERDEAD, "EOWNERDEAD", "Owner died"),
    (ENOTRECOVERABLE, "ENOTRECOVERABLE", "State not recoverable"),
    (ERFKILL, "ERFKILL", "Operation not possible due to RF-kill"),
    (EHWPOISON, "EHWPOISON", "Memory page has hardware error"),
    (ERESTARTSYS, "ERESTARTSYS", "Unknown error 512"),
    (ERESTARTNOINTR, "ERESTARTNOINTR", "Unknown error 513"),
    (ERESTARTNOHAND, "ERESTARTNOHAND", "Unknown error 514"),
    (ENOIOCTLCMD, "ENOIOCTLCMD", "Unknown error 515"),
    (
        ERESTART_RESTARTBLOCK,
        "ERESTART_RESTARTBLOCK",
        "Unknown error 516",
    ),
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
