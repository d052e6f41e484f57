//! wait4() options and the status word encoding (include/uapi/linux/wait.h,
//! and the W* macros of <sys/wait.h>).

pub const WNOHANG: u32 = 0x0000_0001;
pub const WUNTRACED: u32 = 0x0000_0002;
pub const WSTOPPED: u32 = WUNTRACED;
pub const WEXITED: u32 = 0x0000_0004;
pub const WCONTINUED: u32 = 0x0000_0008;
pub const WNOWAIT: u32 = 0x0100_0000;
pub const __WNOTHREAD: u32 = 0x2000_0000;
pub const __WALL: u32 = 0x4000_0000;
pub const __WCLONE: u32 = 0x8000_0000;

/// Core-dump flag in a signal-death status.
pub const WCOREFLAG: i32 = 0x80;

/// Status of a normal exit with `code`.
pub const fn w_exitcode(code: i32, sig: i32) -> i32 {
    ((code & 0xff) << 8) | sig
}
/// Status of a stop by `sig`.
pub const fn w_stopcode(sig: i32) -> i32 {
    (sig << 8) | 0x7f
}
/// Status of a continued child.
pub const W_CONTINUED: i32 = 0xffff;

pub const fn wifexited(s: i32) -> bool {
    s & 0x7f == 0
}
pub const fn wexitstatus(s: i32) -> i32 {
    (s >> 8) & 0xff
}
pub const fn wifsignaled(s: i32) -> bool {
    ((s & 0x7f) + 1) as i8 >= 2
}
pub const fn wtermsig(s: i32) -> i32 {
    s & 0x7f
}
pub const fn wifstopped(s: i32) -> bool {
    s & 0xff == 0x7f
}
pub const fn wstopsig(s: i32) -> i32 {
    wexitstatus(s)
}
pub const fn wifcontinued(s: i32) -> bool {
    s == W_CONTINUED
}
pub const fn wcoredump(s: i32) -> bool {
    s & WCOREFLAG != 0
}
