//! Terminal ABI (Linux x86-64): the kernel's `struct termios` as TCGETS and
//! TCSETS copy it (`include/uapi/asm-generic/termbits.h`: four `tcflag_t`
//! words, `c_line`, `c_cc[NCCS=19]`; 36 bytes), the flag bits, the `c_cc`
//! indices, `struct winsize`, the tty ioctl numbers
//! (`include/uapi/asm-generic/ioctls.h`) and `tty_std_termios`, the
//! settings a freshly opened terminal starts with.

pub type TcFlag = u32;
pub type Cc = u8;
pub const NCCS: usize = 19;

/// `struct termios` (kernel layout, no speed fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: TcFlag,
    pub c_oflag: TcFlag,
    pub c_cflag: TcFlag,
    pub c_lflag: TcFlag,
    pub c_line: Cc,
    pub c_cc: [Cc; NCCS],
}

impl Termios {
    pub const SIZE: usize = 36;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[0..4].copy_from_slice(&self.c_iflag.to_ne_bytes());
        b[4..8].copy_from_slice(&self.c_oflag.to_ne_bytes());
        b[8..12].copy_from_slice(&self.c_cflag.to_ne_bytes());
        b[12..16].copy_from_slice(&self.c_lflag.to_ne_bytes());
        b[16] = self.c_line;
        b[17..36].copy_from_slice(&self.c_cc);
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let w = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut c_cc = [0u8; NCCS];
        c_cc.copy_from_slice(&b[17..36]);
        Termios {
            c_iflag: w(0),
            c_oflag: w(4),
            c_cflag: w(8),
            c_lflag: w(12),
            c_line: b[16],
            c_cc,
        }
    }

    /// `cfmakeraw()` as glibc does it.
    pub fn make_raw(&mut self) {
        self.c_iflag &= !(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        self.c_oflag &= !OPOST;
        self.c_lflag &= !(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        self.c_cflag &= !(CSIZE | PARENB);
        self.c_cflag |= CS8;
        self.c_cc[VMIN] = 1;
        self.c_cc[VTIME] = 0;
    }
}

/// `tty_std_termios` (drivers/tty/tty_io.c).
pub const TTY_STD_TERMIOS: Termios = Termios {
    c_iflag: ICRNL | IXON,
    c_oflag: OPOST | ONLCR,
    c_cflag: B38400 | CS8 | CREAD | HUPCL,
    c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    c_line: 0,
    c_cc: INIT_C_CC,
};

/// `INIT_C_CC`: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, -, ^Q ^S ^Z, -, ^R ^O ^W ^V.
pub const INIT_C_CC: [Cc; NCCS] = [
    0o3, 0o34, 0o177, 0o25, 0o4, 0, 1, 0, 0o21, 0o23, 0o32, 0, 0o22, 0o17, 0o27, 0o26, 0, 0, 0,
];

// c_cc indices.
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSWTC: usize = 7;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VREPRINT: usize = 12;
pub const VDISCARD: usize = 13;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const VEOL2: usize = 16;

// c_iflag.
pub const IGNBRK: TcFlag = 0o1;
pub const BRKINT: TcFlag = 0o2;
pub const IGNPAR: TcFlag = 0o4;
pub const PARMRK: TcFlag = 0o10;
pub const INPCK: TcFlag = 0o20;
pub const ISTRIP: TcFlag = 0o40;
pub const INLCR: TcFlag = 0o100;
pub const IGNCR: TcFlag = 0o200;
pub const ICRNL: TcFlag = 0o400;
pub const IUCLC: TcFlag = 0o1000;
pub const IXON: TcFlag = 0o2000;
pub const IXANY: TcFlag = 0o4000;
pub const IXOFF: TcFlag = 0o10000;
pub const IMAXBEL: TcFlag = 0o20000;
pub const IUTF8: TcFlag = 0o40000;

// c_oflag.
pub const OPOST: TcFlag = 0o1;
pub const OLCUC: TcFlag = 0o2;
pub const ONLCR: TcFlag = 0o4;
pub const OCRNL: TcFlag = 0o10;
pub const ONOCR: TcFlag = 0o20;
pub const ONLRET: TcFlag = 0o40;

// c_cflag.
pub const CBAUD: TcFlag = 0o10017;
pub const B38400: TcFlag = 0o17;
pub const CSIZE: TcFlag = 0o60;
pub const CS8: TcFlag = 0o60;
pub const CSTOPB: TcFlag = 0o100;
pub const CREAD: TcFlag = 0o200;
pub const PARENB: TcFlag = 0o400;
pub const HUPCL: TcFlag = 0o2000;
pub const CLOCAL: TcFlag = 0o4000;

// c_lflag.
pub const ISIG: TcFlag = 0o1;
pub const ICANON: TcFlag = 0o2;
pub const ECHO: TcFlag = 0o10;
pub const ECHOE: TcFlag = 0o20;
pub const ECHOK: TcFlag = 0o40;
pub const ECHONL: TcFlag = 0o100;
pub const NOFLSH: TcFlag = 0o200;
pub const TOSTOP: TcFlag = 0o400;
pub const ECHOCTL: TcFlag = 0o1000;
pub const ECHOPRT: TcFlag = 0o2000;
pub const ECHOKE: TcFlag = 0o4000;
pub const FLUSHO: TcFlag = 0o10000;
pub const PENDIN: TcFlag = 0o40000;
pub const IEXTEN: TcFlag = 0o100000;

// tty ioctls.
pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TCSETSW: u32 = 0x5403;
pub const TCSETSF: u32 = 0x5404;
pub const TCFLSH: u32 = 0x540B;
pub const TIOCSCTTY: u32 = 0x540E;
pub const TIOCGPGRP: u32 = 0x540F;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCOUTQ: u32 = 0x5411;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
pub const FIONREAD: u32 = 0x541B;
pub const TIOCINQ: u32 = FIONREAD;
pub const TIOCNOTTY: u32 = 0x5422;
pub const FIONBIO: u32 = 0x5421;
pub const FIONCLEX: u32 = 0x5450;
pub const FIOCLEX: u32 = 0x5451;
pub const FIOASYNC: u32 = 0x5452;
pub const TIOCGSID: u32 = 0x5429;

// TCFLSH arguments.
pub const TCIFLUSH: usize = 0;
pub const TCOFLUSH: usize = 1;
pub const TCIOFLUSH: usize = 2;

/// `struct winsize` (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

impl Winsize {
    pub const SIZE: usize = 8;

    pub fn to_bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        for (i, v) in [self.ws_row, self.ws_col, self.ws_xpixel, self.ws_ypixel]
            .iter()
            .enumerate()
        {
            b[i * 2..i * 2 + 2].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    pub fn from_bytes(b: &[u8; 8]) -> Self {
        let h = |i: usize| u16::from_ne_bytes([b[i], b[i + 1]]);
        Winsize {
            ws_row: h(0),
            ws_col: h(2),
            ws_xpixel: h(4),
            ws_ypixel: h(6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn termios_layout_roundtrips() {
        let t = TTY_STD_TERMIOS;
        let b = t.to_bytes();
        assert_eq!(b.len(), 36);
        assert_eq!(b[17 + VINTR], 3);
        assert_eq!(b[17 + VEOF], 4);
        assert_eq!(Termios::from_bytes(&b), t);
        let mut r = t;
        r.make_raw();
        assert_eq!(r.c_lflag & (ICANON | ECHO | ISIG), 0);
        assert_eq!(r.c_cc[VMIN], 1);
        // glibc's `stty -a` defaults: iflag 0x500, oflag 0x5, lflag 0x8a3b.
        assert_eq!((t.c_iflag, t.c_oflag, t.c_lflag), (0x500, 0x5, 0x8a3b));
    }
}
