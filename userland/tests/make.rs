//! make and cc inside usk: the sample project in /usr/src/hello builds,
//! is up to date the second time, rebuilds what a changed header touches
//! (also with -j), and failures end with make's and gcc's messages.

mod common;

use common::usk;

#[test]
fn builds_the_sample_project_like_make() {
    let r = usk("cd /usr/src/hello\n\
make; echo \"status $?\"\n\
cat hello\n\
echo ===\n\
make\n\
echo ===\n\
echo '/* changed */' >> greet.h\n\
make -j 2 > /tmp/out; echo \"status $?\"\n\
grep -c ' -c ' /tmp/out\n\
tail -n 1 /tmp/out\n\
echo ===\n\
make -n clean; ls hello\n\
make clean; ls | cat\n\
echo ===\n\
echo 'all: ; @false' > /tmp/bad.mk\n\
make -f /tmp/bad.mk; echo \"status $?\"\n\
make nosuch; echo \"status $?\"\n\
echo 'int main() { char *s = \"x; }' > /tmp/e.c\n\
cc -c -o /tmp/e.o /tmp/e.c; echo \"status $?\"\n\
echo 'int main() { return g(); }' > /tmp/l.c\n\
cc -o /tmp/l /tmp/l.c; echo \"status $?\"\n\
cc; echo \"status $?\"\n");
    assert_eq!(r.status, 0, "{}\n{}", r.output, r.dmesg);
    let parts: Vec<&str> = r.output.split("===\n").collect();
    assert_eq!(
        parts[0],
        "cc -O2 -Wall -c -o main.o main.c\n\
         cc -O2 -Wall -c -o greet.o greet.c\n\
         cc -O2 -Wall -o hello main.o greet.o\n\
         status 0\n\
         !<usk-exe>\n\
         object main.o\n\
         object greet.o\n\
         entry main\n"
    );
    assert_eq!(parts[1], "make: 'hello' is up to date.\n");
    // both objects depend on greet.h; the link runs last
    assert_eq!(
        parts[2],
        "status 0\n2\ncc -O2 -Wall -o hello main.o greet.o\n"
    );
    assert_eq!(
        parts[3],
        "rm -f hello main.o greet.o\nhello\nrm -f hello main.o greet.o\nMakefile\ngreet.c\ngreet.h\nmain.c\n"
    );
    assert_eq!(
        parts[4],
        "make: *** [/tmp/bad.mk:1: all] Error 1\n\
         status 2\n\
         make: *** No rule to make target 'nosuch'.  Stop.\n\
         status 2\n\
         /tmp/e.c:1:24: error: missing terminating \" character\n\
         status 1\n\
         ld: /tmp/l.c: undefined reference to 'g'\n\
         collect2: error: ld returned 1 exit status\n\
         status 1\n\
         cc: fatal error: no input files\n\
         compilation terminated.\n\
         status 1\n"
    );
}

/// The `-` prefix ignores a failing line wherever it sits among the other
/// prefixes, and also when a variable expands to it (GNU make reads the
/// prefixes after expansion).
#[test]
fn a_dash_prefix_ignores_the_failure() {
    let r = usk("echo 'IGN = -' > /tmp/ign.mk\n\
echo 'all:' >> /tmp/ign.mk\n\
echo '\t-false' >> /tmp/ign.mk\n\
echo '\t@ -false' >> /tmp/ign.mk\n\
echo '\t$(IGN)false' >> /tmp/ign.mk\n\
echo '\t@echo done' >> /tmp/ign.mk\n\
make -f /tmp/ign.mk; echo \"status $?\"\n");
    assert_eq!(r.status, 0, "{}\n{}", r.output, r.dmesg);
    assert_eq!(
        r.output,
        "false\n\
         make: [/tmp/ign.mk:3: all] Error 1 (ignored)\n\
         make: [/tmp/ign.mk:4: all] Error 1 (ignored)\n\
         false\n\
         make: [/tmp/ign.mk:5: all] Error 1 (ignored)\n\
         done\n\
         status 0\n"
    );
}
