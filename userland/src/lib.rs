//! userland: the applets of usk — init, sh, a coreutils subset, perf,
//! make and cc — and the initial file system the kernel creates at boot
//! (with a sample C project in `/usr/src/hello`).
//!
//! Applets are `fn(&[String]) -> i32` programs written only against ulib
//! (system calls) and uapi (ABI constants); they keep their state in
//! locals, since every process of usk shares the host address space.
#![forbid(unsafe_code)]

pub mod cc;
pub mod coreutils;
pub mod fuzz;
pub mod init;
pub mod kmod;
pub mod make;
pub mod perf;
pub mod sh;
pub mod signames;
pub mod ubench;

use ulib::rt::AppletMain;

/// Every applet: name and main.
pub static APPLETS: &[(&str, AppletMain)] = &[
    ("init", init::main),
    ("sh", sh::main),
    ("echo", coreutils::echo::main),
    ("cat", coreutils::cat::main),
    ("ls", coreutils::ls::main),
    ("mkdir", coreutils::mkdir::main),
    ("rm", coreutils::rm::main),
    ("ps", coreutils::ps::main),
    ("kill", coreutils::kill::main),
    ("sleep", coreutils::sleep::main),
    ("true", coreutils::truefalse::true_main),
    ("false", coreutils::truefalse::false_main),
    ("free", coreutils::free::main),
    ("dmesg", coreutils::dmesg::main),
    ("uname", coreutils::uname::main),
    ("env", coreutils::env::main),
    ("head", coreutils::headtail::head_main),
    ("tail", coreutils::headtail::tail_main),
    ("wc", coreutils::wc::main),
    ("yes", coreutils::yes::main),
    ("dd", coreutils::dd::main),
    ("id", coreutils::id::main),
    ("mount", coreutils::mount::main),
    ("grep", coreutils::grep::main),
    ("rmdir", coreutils::rmdir::main),
    ("insmod", kmod::insmod),
    ("rmmod", kmod::rmmod),
    ("lsmod", kmod::lsmod),
    ("modinfo", kmod::modinfo),
    ("fuzz", fuzz::main),
    ("ubench", ubench::main),
    ("perf", perf::main),
    ("make", make::main),
    ("cc", cc::main),
];

/// Install ulib's user entry and register [`APPLETS`].
pub fn install() {
    ulib::rt::install();
    ulib::rt::register_applets(APPLETS);
}

/// The files the kernel creates at boot (it makes `/bin /sbin /etc /tmp
/// /dev /proc` itself): `(path, mode, contents)`. Executables are
/// `#!applet NAME` stubs; `/sbin/init` is the init applet.
pub fn initramfs() -> Vec<(String, u32, Vec<u8>)> {
    let mut v = Vec::new();
    for (name, _) in APPLETS {
        let dir = if *name == "init" { "/sbin" } else { "/bin" };
        let mut body = ulib::uapi::abi::APPLET_MAGIC.to_vec();
        body.extend_from_slice(name.as_bytes());
        body.push(b'\n');
        v.push((format!("{dir}/{name}"), 0o755, body));
    }
    v.push(("/etc/rc".into(), 0o644, RC.as_bytes().to_vec()));
    for (name, text) in HELLO_PROJECT {
        v.push((
            format!("/usr/src/hello/{name}"),
            0o644,
            text.as_bytes().to_vec(),
        ));
    }
    v
}

/// `/usr/src/hello`: a small C project for `make` and `cc` (`cd
/// /usr/src/hello && perf stat -e kmem:kmalloc make`).
pub const HELLO_PROJECT: &[(&str, &str)] = &[
    (
        "Makefile",
        "# Build hello from two sources with cc.\n\
CC = cc\n\
CFLAGS = -O2 -Wall\n\
OBJS = main.o greet.o\n\
\n\
hello: $(OBJS)\n\
\t$(CC) $(CFLAGS) -o $@ $^\n\
\n\
%.o: %.c greet.h\n\
\t$(CC) $(CFLAGS) -c -o $@ $<\n\
\n\
.PHONY: clean\n\
clean:\n\
\trm -f hello $(OBJS)\n",
    ),
    (
        "greet.h",
        "#ifndef GREET_H\n#define GREET_H\nvoid greet(const char *who, int times);\n#endif\n",
    ),
    (
        "greet.c",
        "#include <stdio.h>\n#include \"greet.h\"\n\n\
/* Print the greeting `times` times. */\n\
void greet(const char *who, int times)\n{\n\
\tfor (int i = 0; i < times; i++)\n\
\t\tprintf(\"hello, %s\\n\", who);\n}\n",
    ),
    (
        "main.c",
        "#include \"greet.h\"\n\n\
int main(int argc, char **argv)\n{\n\
\tgreet(argc > 1 ? argv[1] : \"world\", 1);\n\
\treturn 0;\n}\n",
    ),
];

/// `/etc/rc`: run by init before the console shell.
const RC: &str = "# /etc/rc: system start-up, run by /sbin/init with sh.\n\
export PATH=/bin:/sbin\n\
export HOME=/\n";
