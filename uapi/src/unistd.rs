#![allow(non_upper_case_globals)] // Linux's own spelling: __NR_getpid.
//! Linux x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl),
//! generated from the host's `asm/unistd_64.h`, and their names for strace.

pub const __NR_read: u64 = 0;
pub const __NR_write: u64 = 1;
pub const __NR_open: u64 = 2;
pub const __NR_close: u64 = 3;
pub const __NR_stat: u64 = 4;
pub const __NR_fstat: u64 = 5;
pub const __NR_lstat: u64 = 6;
pub const __NR_poll: u64 = 7;
pub const __NR_lseek: u64 = 8;
pub const __NR_mmap: u64 = 9;
pub const __NR_mprotect: u64 = 10;
pub const __NR_munmap: u64 = 11;
pub const __NR_brk: u64 = 12;
pub const __NR_rt_sigaction: u64 = 13;
pub const __NR_rt_sigprocmask: u64 = 14;
pub const __NR_rt_sigreturn: u64 = 15;
pub const __NR_ioctl: u64 = 16;
pub const __NR_pread64: u64 = 17;
pub const __NR_pwrite64: u64 = 18;
pub const __NR_readv: u64 = 19;
pub const __NR_writev: u64 = 20;
pub const __NR_access: u64 = 21;
pub const __NR_pipe: u64 = 22;
pub const __NR_select: u64 = 23;
pub const __NR_sched_yield: u64 = 24;
pub const __NR_mremap: u64 = 25;
pub const __NR_msync: u64 = 26;
pub const __NR_mincore: u64 = 27;
pub const __NR_madvise: u64 = 28;
pub const __NR_shmget: u64 = 29;
pub const __NR_shmat: u64 = 30;
pub const __NR_shmctl: u64 = 31;
pub const __NR_dup: u64 = 32;
pub const __NR_dup2: u64 = 33;
pub const __NR_pause: u64 = 34;
pub const __NR_nanosleep: u64 = 35;
pub const __NR_getitimer: u64 = 36;
pub const __NR_alarm: u64 = 37;
pub const __NR_setitimer: u64 = 38;
pub const __NR_getpid: u64 = 39;
pub const __NR_sendfile: u64 = 40;
pub const __NR_socket: u64 = 41;
pub const __NR_connect: u64 = 42;
pub const __NR_accept: u64 = 43;
pub const __NR_sendto: u64 = 44;
pub const __NR_recvfrom: u64 = 45;
pub const __NR_sendmsg: u64 = 46;
pub const __NR_recvmsg: u64 = 47;
pub const __NR_shutdown: u64 = 48;
pub const __NR_bind: u64 = 49;
pub const __NR_listen: u64 = 50;
pub const __NR_getsockname: u64 = 51;
pub const __NR_getpeername: u64 = 52;
pub const __NR_socketpair: u64 = 53;
pub const __NR_setsockopt: u64 = 54;
pub const __NR_getsockopt: u64 = 55;
pub const __NR_clone: u64 = 56;
pub const __NR_fork: u64 = 57;
pub const __NR_vfork: u64 = 58;
pub const __NR_execve: u64 = 59;
pub const __NR_exit: u64 = 60;
pub const __NR_wait4: u64 = 61;
pub const __NR_kill: u64 = 62;
pub const __NR_uname: u64 = 63;
pub const __NR_semget: u64 = 64;
pub const __NR_semop: u64 = 65;
pub const __NR_semctl: u64 = 66;
pub const __NR_shmdt: u64 = 67;
pub const __NR_msgget: u64 = 68;
pub const __NR_msgsnd: u64 = 69;
pub const __NR_msgrcv: u64 = 70;
pub const __NR_msgctl: u64 = 71;
pub const __NR_fcntl: u64 = 72;
pub const __NR_flock: u64 = 73;
pub const __NR_fsync: u64 = 74;
pub const __NR_fdatasync: u64 = 75;
pub const __NR_truncate: u64 = 76;
pub const __NR_ftruncate: u64 = 77;
pub const __NR_getdents: u64 = 78;
pub const __NR_getcwd: u64 = 79;
pub const __NR_chdir: u64 = 80;
pub const __NR_fchdir: u64 = 81;
pub const __NR_rename: u64 = 82;
pub const __NR_mkdir: u64 = 83;
pub const __NR_rmdir: u64 = 84;
pub const __NR_creat: u64 = 85;
pub const __NR_link: u64 = 86;
pub const __NR_unlink: u64 = 87;
pub const __NR_symlink: u64 = 88;
pub const __NR_readlink: u64 = 89;
pub const __NR_chmod: u64 = 90;
pub const __NR_fchmod: u64 = 91;
pub const __NR_chown: u64 = 92;
pub const __NR_fchown: u64 = 93;
pub const __NR_lchown: u64 = 94;
pub const __NR_umask: u64 = 95;
pub const __NR_gettimeofday: u64 = 96;
pub const __NR_getrlimit: u64 = 97;
pub const __NR_getrusage: u64 = 98;
pub const __NR_sysinfo: u64 = 99;
pub const __NR_times: u64 = 100;
pub const __NR_ptrace: u64 = 101;
pub const __NR_getuid: u64 = 102;
pub const __NR_syslog: u64 = 103;
pub const __NR_getgid: u64 = 104;
pub const __NR_setuid: u64 = 105;
pub const __NR_setgid: u64 = 106;
pub const __NR_geteuid: u64 = 107;
pub const __NR_getegid: u64 = 108;
pub const __NR_setpgid: u64 = 109;
pub const __NR_getppid: u64 = 110;
pub const __NR_getpgrp: u64 = 111;
pub const __NR_setsid: u64 = 112;
pub const __NR_setreuid: u64 = 113;
pub const __NR_setregid: u64 = 114;
pub const __NR_getgroups: u64 = 115;
pub const __NR_setgroups: u64 = 116;
pub const __NR_setresuid: u64 = 117;
pub const __NR_getresuid: u64 = 118;
pub const __NR_setresgid: u64 = 119;
pub const __NR_getresgid: u64 = 120;
pub const __NR_getpgid: u64 = 121;
pub const __NR_setfsuid: u64 = 122;
pub const __NR_setfsgid: u64 = 123;
pub const __NR_getsid: u64 = 124;
pub const __NR_capget: u64 = 125;
pub const __NR_capset: u64 = 126;
pub const __NR_rt_sigpending: u64 = 127;
pub const __NR_rt_sigtimedwait: u64 = 128;
pub const __NR_rt_sigqueueinfo: u64 = 129;
pub const __NR_rt_sigsuspend: u64 = 130;
pub const __NR_sigaltstack: u64 = 131;
pub const __NR_utime: u64 = 132;
pub const __NR_mknod: u64 = 133;
pub const __NR_uselib: u64 = 134;
pub const __NR_personality: u64 = 135;
pub const __NR_ustat: u64 = 136;
pub const __NR_statfs: u64 = 137;
pub const __NR_fstatfs: u64 = 138;
pub const __NR_sysfs: u64 = 139;
pub const __NR_getpriority: u64 = 140;
pub const __NR_setpriority: u64 = 141;
pub const __NR_sched_setparam: u64 = 142;
pub const __NR_sched_getparam: u64 = 143;
pub const __NR_sched_setscheduler: u64 = 144;
pub const __NR_sched_getscheduler: u64 = 145;
pub const __NR_sched_get_priority_max: u64 = 146;
pub const __NR_sched_get_priority_min: u64 = 147;
pub const __NR_sched_rr_get_interval: u64 = 148;
pub const __NR_mlock: u64 = 149;
pub const __NR_munlock: u64 = 150;
pub const __NR_mlockall: u64 = 151;
pub const __NR_munlockall: u64 = 152;
pub const __NR_vhangup: u64 = 153;
pub const __NR_modify_ldt: u64 = 154;
pub const __NR_pivot_root: u64 = 155;
pub const __NR__sysctl: u64 = 156;
pub const __NR_prctl: u64 = 157;
pub const __NR_arch_prctl: u64 = 158;
pub const __NR_adjtimex: u64 = 159;
pub const __NR_setrlimit: u64 = 160;
pub const __NR_chroot: u64 = 161;
pub const __NR_sync: u64 = 162;
pub const __NR_acct: u64 = 163;
pub const __NR_settimeofday: u64 = 164;
pub const __NR_mount: u64 = 165;
pub const __NR_umount2: u64 = 166;
pub const __NR_swapon: u64 = 167;
pub const __NR_swapoff: u64 = 168;
pub const __NR_reboot: u64 = 169;
pub const __NR_sethostname: u64 = 170;
pub const __NR_setdomainname: u64 = 171;
pub const __NR_iopl: u64 = 172;
pub const __NR_ioperm: u64 = 173;
pub const __NR_create_module: u64 = 174;
pub const __NR_init_module: u64 = 175;
pub const __NR_delete_module: u64 = 176;
pub const __NR_get_kernel_syms: u64 = 177;
pub const __NR_query_module: u64 = 178;
pub const __NR_quotactl: u64 = 179;
pub const __NR_nfsservctl: u64 = 180;
pub const __NR_getpmsg: u64 = 181;
pub const __NR_putpmsg: u64 = 182;
pub const __NR_afs_syscall: u64 = 183;
pub const __NR_tuxcall: u64 = 184;
pub const __NR_security: u64 = 185;
pub const __NR_gettid: u64 = 186;
pub const __NR_readahead: u64 = 187;
pub const __NR_setxattr: u64 = 188;
pub const __NR_lsetxattr: u64 = 189;
pub const __NR_fsetxattr: u64 = 190;
pub const __NR_getxattr: u64 = 191;
pub const __NR_lgetxattr: u64 = 192;
pub const __NR_fgetxattr: u64 = 193;
pub const __NR_listxattr: u64 = 194;
pub const __NR_llistxattr: u64 = 195;
pub const __NR_flistxattr: u64 = 196;
pub const __NR_removexattr: u64 = 197;
pub const __NR_lremovexattr: u64 = 198;
pub const __NR_fremovexattr: u64 = 199;
pub const __NR_tkill: u64 = 200;
pub const __NR_time: u64 = 201;
pub const __NR_futex: u64 = 202;
pub const __NR_sched_setaffinity: u64 = 203;
pub const __NR_sched_getaffinity: u64 = 204;
pub const __NR_set_thread_area: u64 = 205;
pub const __NR_io_setup: u64 = 206;
pub const __NR_io_destroy: u64 = 207;
pub const __NR_io_getevents: u64 = 208;
pub const __NR_io_submit: u64 = 209;
pub const __NR_io_cancel: u64 = 210;
pub const __NR_get_thread_area: u64 = 211;
pub const __NR_lookup_dcookie: u64 = 212;
pub const __NR_epoll_create: u64 = 213;
pub const __NR_epoll_ctl_old: u64 = 214;
pub const __NR_epoll_wait_old: u64 = 215;
pub const __NR_remap_file_pages: u64 = 216;
pub const __NR_getdents64: u64 = 217;
pub const __NR_set_tid_address: u64 = 218;
pub const __NR_restart_syscall: u64 = 219;
pub const __NR_semtimedop: u64 = 220;
pub const __NR_fadvise64: u64 = 221;
pub const __NR_timer_create: u64 = 222;
pub const __NR_timer_settime: u64 = 223;
pub const __NR_timer_gettime: u64 = 224;
pub const __NR_timer_getoverrun: u64 = 225;
pub const __NR_timer_delete: u64 = 226;
pub const __NR_clock_settime: u64 = 227;
pub const __NR_clock_gettime: u64 = 228;
pub const __NR_clock_getres: u64 = 229;
pub const __NR_clock_nanosleep: u64 = 230;
pub const __NR_exit_group: u64 = 231;
pub const __NR_epoll_wait: u64 = 232;
pub const __NR_epoll_ctl: u64 = 233;
pub const __NR_tgkill: u64 = 234;
pub const __NR_utimes: u64 = 235;
pub const __NR_vserver: u64 = 236;
pub const __NR_mbind: u64 = 237;
pub const __NR_set_mempolicy: u64 = 238;
pub const __NR_get_mempolicy: u64 = 239;
pub const __NR_mq_open: u64 = 240;
pub const __NR_mq_unlink: u64 = 241;
pub const __NR_mq_timedsend: u64 = 242;
pub const __NR_mq_timedreceive: u64 = 243;
pub const __NR_mq_notify: u64 = 244;
pub const __NR_mq_getsetattr: u64 = 245;
pub const __NR_kexec_load: u64 = 246;
pub const __NR_waitid: u64 = 247;
pub const __NR_add_key: u64 = 248;
pub const __NR_request_key: u64 = 249;
pub const __NR_keyctl: u64 = 250;
pub const __NR_ioprio_set: u64 = 251;
pub const __NR_ioprio_get: u64 = 252;
pub const __NR_inotify_init: u64 = 253;
pub const __NR_inotify_add_watch: u64 = 254;
pub const __NR_inotify_rm_watch: u64 = 255;
pub const __NR_migrate_pages: u64 = 256;
pub const __NR_openat: u64 = 257;
pub const __NR_mkdirat: u64 = 258;
pub const __NR_mknodat: u64 = 259;
pub const __NR_fchownat: u64 = 260;
pub const __NR_futimesat: u64 = 261;
pub const __NR_newfstatat: u64 = 262;
pub const __NR_unlinkat: u64 = 263;
pub const __NR_renameat: u64 = 264;
pub const __NR_linkat: u64 = 265;
pub const __NR_symlinkat: u64 = 266;
pub const __NR_readlinkat: u64 = 267;
pub const __NR_fchmodat: u64 = 268;
pub const __NR_faccessat: u64 = 269;
pub const __NR_pselect6: u64 = 270;
pub const __NR_ppoll: u64 = 271;
pub const __NR_unshare: u64 = 272;
pub const __NR_set_robust_list: u64 = 273;
pub const __NR_get_robust_list: u64 = 274;
pub const __NR_splice: u64 = 275;
pub const __NR_tee: u64 = 276;
pub const __NR_sync_file_range: u64 = 277;
pub const __NR_vmsplice: u64 = 278;
pub const __NR_move_pages: u64 = 279;
pub const __NR_utimensat: u64 = 280;
pub const __NR_epoll_pwait: u64 = 281;
pub const __NR_signalfd: u64 = 282;
pub const __NR_timerfd_create: u64 = 283;
pub const __NR_eventfd: u64 = 284;
pub const __NR_fallocate: u64 = 285;
pub const __NR_timerfd_settime: u64 = 286;
pub const __NR_timerfd_gettime: u64 = 287;
pub const __NR_accept4: u64 = 288;
pub const __NR_signalfd4: u64 = 289;
pub const __NR_eventfd2: u64 = 290;
pub const __NR_epoll_create1: u64 = 291;
pub const __NR_dup3: u64 = 292;
pub const __NR_pipe2: u64 = 293;
pub const __NR_inotify_init1: u64 = 294;
pub const __NR_preadv: u64 = 295;
pub const __NR_pwritev: u64 = 296;
pub const __NR_rt_tgsigqueueinfo: u64 = 297;
pub const __NR_perf_event_open: u64 = 298;
pub const __NR_recvmmsg: u64 = 299;
pub const __NR_fanotify_init: u64 = 300;
pub const __NR_fanotify_mark: u64 = 301;
pub const __NR_prlimit64: u64 = 302;
pub const __NR_name_to_handle_at: u64 = 303;
pub const __NR_open_by_handle_at: u64 = 304;
pub const __NR_clock_adjtime: u64 = 305;
pub const __NR_syncfs: u64 = 306;
pub const __NR_sendmmsg: u64 = 307;
pub const __NR_setns: u64 = 308;
pub const __NR_getcpu: u64 = 309;
pub const __NR_process_vm_readv: u64 = 310;
pub const __NR_process_vm_writev: u64 = 311;
pub const __NR_kcmp: u64 = 312;
pub const __NR_finit_module: u64 = 313;
pub const __NR_sched_setattr: u64 = 314;
pub const __NR_sched_getattr: u64 = 315;
pub const __NR_renameat2: u64 = 316;
pub const __NR_seccomp: u64 = 317;
pub const __NR_getrandom: u64 = 318;
pub const __NR_memfd_create: u64 = 319;
pub const __NR_kexec_file_load: u64 = 320;
pub const __NR_bpf: u64 = 321;
pub const __NR_execveat: u64 = 322;
pub const __NR_userfaultfd: u64 = 323;
pub const __NR_membarrier: u64 = 324;
pub const __NR_mlock2: u64 = 325;
pub const __NR_copy_file_range: u64 = 326;
pub const __NR_preadv2: u64 = 327;
pub const __NR_pwritev2: u64 = 328;
pub const __NR_pkey_mprotect: u64 = 329;
pub const __NR_pkey_alloc: u64 = 330;
pub const __NR_pkey_free: u64 = 331;
pub const __NR_statx: u64 = 332;
pub const __NR_io_pgetevents: u64 = 333;
pub const __NR_rseq: u64 = 334;
pub const __NR_pidfd_send_signal: u64 = 424;
pub const __NR_io_uring_setup: u64 = 425;
pub const __NR_io_uring_enter: u64 = 426;
pub const __NR_io_uring_register: u64 = 427;
pub const __NR_open_tree: u64 = 428;
pub const __NR_move_mount: u64 = 429;
pub const __NR_fsopen: u64 = 430;
pub const __NR_fsconfig: u64 = 431;
pub const __NR_fsmount: u64 = 432;
pub const __NR_fspick: u64 = 433;
pub const __NR_pidfd_open: u64 = 434;
pub const __NR_clone3: u64 = 435;
pub const __NR_close_range: u64 = 436;
pub const __NR_openat2: u64 = 437;
pub const __NR_pidfd_getfd: u64 = 438;
pub const __NR_faccessat2: u64 = 439;
pub const __NR_process_madvise: u64 = 440;
pub const __NR_epoll_pwait2: u64 = 441;
pub const __NR_mount_setattr: u64 = 442;
pub const __NR_quotactl_fd: u64 = 443;
pub const __NR_landlock_create_ruleset: u64 = 444;
pub const __NR_landlock_add_rule: u64 = 445;
pub const __NR_landlock_restrict_self: u64 = 446;
pub const __NR_memfd_secret: u64 = 447;
pub const __NR_process_mrelease: u64 = 448;
pub const __NR_futex_waitv: u64 = 449;
pub const __NR_set_mempolicy_home_node: u64 = 450;

/// Number -> name, in number order (the table strace prints from).
pub const SYSCALL_NAMES: &[(u64, &str)] = &[
    (0, "read"),
    (1, "write"),
    (2, "open"),
    (3, "close"),
    (4, "stat"),
    (5, "fstat"),
    (6, "lstat"),
    (7, "poll"),
    (8, "lseek"),
    (9, "mmap"),
    (10, "mprotect"),
    (11, "munmap"),
    (12, "brk"),
    (13, "rt_sigaction"),
    (14, "rt_sigprocmask"),
    (15, "rt_sigreturn"),
    (16, "ioctl"),
    (17, "pread64"),
    (18, "pwrite64"),
    (19, "readv"),
    (20, "writev"),
    (21, "access"),
    (22, "pipe"),
    (23, "select"),
    (24, "sched_yield"),
    (25, "mremap"),
    (26, "msync"),
    (27, "mincore"),
    (28, "madvise"),
    (29, "shmget"),
    (30, "shmat"),
    (31, "shmctl"),
    (32, "dup"),
    (33, "dup2"),
    (34, "pause"),
    (35, "nanosleep"),
    (36, "getitimer"),
    (37, "alarm"),
    (38, "setitimer"),
    (39, "getpid"),
    (40, "sendfile"),
    (41, "socket"),
    (42, "connect"),
    (43, "accept"),
    (44, "sendto"),
    (45, "recvfrom"),
    (46, "sendmsg"),
    (47, "recvmsg"),
    (48, "shutdown"),
    (49, "bind"),
    (50, "listen"),
    (51, "getsockname"),
    (52, "getpeername"),
    (53, "socketpair"),
    (54, "setsockopt"),
    (55, "getsockopt"),
    (56, "clone"),
    (57, "fork"),
    (58, "vfork"),
    (59, "execve"),
    (60, "exit"),
    (61, "wait4"),
    (62, "kill"),
    (63, "uname"),
    (64, "semget"),
    (65, "semop"),
    (66, "semctl"),
    (67, "shmdt"),
    (68, "msgget"),
    (69, "msgsnd"),
    (70, "msgrcv"),
    (71, "msgctl"),
    (72, "fcntl"),
    (73, "flock"),
    (74, "fsync"),
    (75, "fdatasync"),
    (76, "truncate"),
    (77, "ftruncate"),
    (78, "getdents"),
    (79, "getcwd"),
    (80, "chdir"),
    (81, "fchdir"),
    (82, "rename"),
    (83, "mkdir"),
    (84, "rmdir"),
    (85, "creat"),
    (86, "link"),
    (87, "unlink"),
    (88, "symlink"),
    (89, "readlink"),
    (90, "chmod"),
    (91, "fchmod"),
    (92, "chown"),
    (93, "fchown"),
    (94, "lchown"),
    (95, "umask"),
    (96, "gettimeofday"),
    (97, "getrlimit"),
    (98, "getrusage"),
    (99, "sysinfo"),
    (100, "times"),
    (101, "ptrace"),
    (102, "getuid"),
    (103, "syslog"),
    (104, "getgid"),
    (105, "setuid"),
    (106, "setgid"),
    (107, "geteuid"),
    (108, "getegid"),
    (109, "setpgid"),
    (110, "getppid"),
    (111, "getpgrp"),
    (112, "setsid"),
    (113, "setreuid"),
    (114, "setregid"),
    (115, "getgroups"),
    (116, "setgroups"),
    (117, "setresuid"),
    (118, "getresuid"),
    (119, "setresgid"),
    (120, "getresgid"),
    (121, "getpgid"),
    (122, "setfsuid"),
    (123, "setfsgid"),
    (124, "getsid"),
    (125, "capget"),
    (126, "capset"),
    (127, "rt_sigpending"),
    (128, "rt_sigtimedwait"),
    (129, "rt_sigqueueinfo"),
    (130, "rt_sigsuspend"),
    (131, "sigaltstack"),
    (132, "utime"),
    (133, "mknod"),
    (134, "uselib"),
    (135, "personality"),
    (136, "ustat"),
    (137, "statfs"),
    (138, "fstatfs"),
    (139, "sysfs"),
    (140, "getpriority"),
    (141, "setpriority"),
    (142, "sched_setparam"),
    (143, "sched_getparam"),
    (144, "sched_setscheduler"),
    (145, "sched_getscheduler"),
    (146, "sched_get_priority_max"),
    (147, "sched_get_priority_min"),
    (148, "sched_rr_get_interval"),
    (149, "mlock"),
    (150, "munlock"),
    (151, "mlockall"),
    (152, "munlockall"),
    (153, "vhangup"),
    (154, "modify_ldt"),
    (155, "pivot_root"),
    (156, "_sysctl"),
    (157, "prctl"),
    (158, "arch_prctl"),
    (159, "adjtimex"),
    (160, "setrlimit"),
    (161, "chroot"),
    (162, "sync"),
    (163, "acct"),
    (164, "settimeofday"),
    (165, "mount"),
    (166, "umount2"),
    (167, "swapon"),
    (168, "swapoff"),
    (169, "reboot"),
    (170, "sethostname"),
    (171, "setdomainname"),
    (172, "iopl"),
    (173, "ioperm"),
    (174, "create_module"),
    (175, "init_module"),
    (176, "delete_module"),
    (177, "get_kernel_syms"),
    (178, "query_module"),
    (179, "quotactl"),
    (180, "nfsservctl"),
    (181, "getpmsg"),
    (182, "putpmsg"),
    (183, "afs_syscall"),
    (184, "tuxcall"),
    (185, "security"),
    (186, "gettid"),
    (187, "readahead"),
    (188, "setxattr"),
    (189, "lsetxattr"),
    (190, "fsetxattr"),
    (191, "getxattr"),
    (192, "lgetxattr"),
    (193, "fgetxattr"),
    (194, "listxattr"),
    (195, "llistxattr"),
    (196, "flistxattr"),
    (197, "removexattr"),
    (198, "lremovexattr"),
    (199, "fremovexattr"),
    (200, "tkill"),
    (201, "time"),
    (202, "futex"),
    (203, "sched_setaffinity"),
    (204, "sched_getaffinity"),
    (205, "set_thread_area"),
    (206, "io_setup"),
    (207, "io_destroy"),
    (208, "io_getevents"),
    (209, "io_submit"),
    (210, "io_cancel"),
    (211, "get_thread_area"),
    (212, "lookup_dcookie"),
    (213, "epoll_create"),
    (214, "epoll_ctl_old"),
    (215, "epoll_wait_old"),
    (216, "remap_file_pages"),
    (217, "getdents64"),
    (218, "set_tid_address"),
    (219, "restart_syscall"),
    (220, "semtimedop"),
    (221, "fadvise64"),
    (222, "timer_create"),
    (223, "timer_settime"),
    (224, "timer_gettime"),
    (225, "timer_getoverrun"),
    (226, "timer_delete"),
    (227, "clock_settime"),
    (228, "clock_gettime"),
    (229, "clock_getres"),
    (230, "clock_nanosleep"),
    (231, "exit_group"),
    (232, "epoll_wait"),
    (233, "epoll_ctl"),
    (234, "tgkill"),
    (235, "utimes"),
    (236, "vserver"),
    (237, "mbind"),
    (238, "set_mempolicy"),
    (239, "get_mempolicy"),
    (240, "mq_open"),
    (241, "mq_unlink"),
    (242, "mq_timedsend"),
    (243, "mq_timedreceive"),
    (244, "mq_notify"),
    (245, "mq_getsetattr"),
    (246, "kexec_load"),
    (247, "waitid"),
    (248, "add_key"),
    (249, "request_key"),
    (250, "keyctl"),
    (251, "ioprio_set"),
    (252, "ioprio_get"),
    (253, "inotify_init"),
    (254, "inotify_add_watch"),
    (255, "inotify_rm_watch"),
    (256, "migrate_pages"),
    (257, "openat"),
    (258, "mkdirat"),
    (259, "mknodat"),
    (260, "fchownat"),
    (261, "futimesat"),
    (262, "newfstatat"),
    (263, "unlinkat"),
    (264, "renameat"),
    (265, "linkat"),
    (266, "symlinkat"),
    (267, "readlinkat"),
    (268, "fchmodat"),
    (269, "faccessat"),
    (270, "pselect6"),
    (271, "ppoll"),
    (272, "unshare"),
    (273, "set_robust_list"),
    (274, "get_robust_list"),
    (275, "splice"),
    (276, "tee"),
    (277, "sync_file_range"),
    (278, "vmsplice"),
    (279, "move_pages"),
    (280, "utimensat"),
    (281, "epoll_pwait"),
    (282, "signalfd"),
    (283, "timerfd_create"),
    (284, "eventfd"),
    (285, "fallocate"),
    (286, "timerfd_settime"),
    (287, "timerfd_gettime"),
    (288, "accept4"),
    (289, "signalfd4"),
    (290, "eventfd2"),
    (291, "epoll_create1"),
    (292, "dup3"),
    (293, "pipe2"),
    (294, "inotify_init1"),
    (295, "preadv"),
    (296, "pwritev"),
    (297, "rt_tgsigqueueinfo"),
    (298, "perf_event_open"),
    (299, "recvmmsg"),
    (300, "fanotify_init"),
    (301, "fanotify_mark"),
    (302, "prlimit64"),
    (303, "name_to_handle_at"),
    (304, "open_by_handle_at"),
    (305, "clock_adjtime"),
    (306, "syncfs"),
    (307, "sendmmsg"),
    (308, "setns"),
    (309, "getcpu"),
    (310, "process_vm_readv"),
    (311, "process_vm_writev"),
    (312, "kcmp"),
    (313, "finit_module"),
    (314, "sched_setattr"),
    (315, "sched_getattr"),
    (316, "renameat2"),
    (317, "seccomp"),
    (318, "getrandom"),
    (319, "memfd_create"),
    (320, "kexec_file_load"),
    (321, "bpf"),
    (322, "execveat"),
    (323, "userfaultfd"),
    (324, "membarrier"),
    (325, "mlock2"),
    (326, "copy_file_range"),
    (327, "preadv2"),
    (328, "pwritev2"),
    (329, "pkey_mprotect"),
    (330, "pkey_alloc"),
    (331, "pkey_free"),
    (332, "statx"),
    (333, "io_pgetevents"),
    (334, "rseq"),
    (424, "pidfd_send_signal"),
    (425, "io_uring_setup"),
    (426, "io_uring_enter"),
    (427, "io_uring_register"),
    (428, "open_tree"),
    (429, "move_mount"),
    (430, "fsopen"),
    (431, "fsconfig"),
    (432, "fsmount"),
    (433, "fspick"),
    (434, "pidfd_open"),
    (435, "clone3"),
    (436, "close_range"),
    (437, "openat2"),
    (438, "pidfd_getfd"),
    (439, "faccessat2"),
    (440, "process_madvise"),
    (441, "epoll_pwait2"),
    (442, "mount_setattr"),
    (443, "quotactl_fd"),
    (444, "landlock_create_ruleset"),
    (445, "landlock_add_rule"),
    (446, "landlock_restrict_self"),
    (447, "memfd_secret"),
    (448, "process_mrelease"),
    (449, "futex_waitv"),
    (450, "set_mempolicy_home_node"),
];

/// The name of syscall `nr`, as strace prints it.
pub fn syscall_name(nr: u64) -> Option<&'static str> {
    SYSCALL_NAMES
        .binary_search_by_key(&nr, |&(n, _)| n)
        .ok()
        .map(|i| SYSCALL_NAMES[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_and_known() {
        assert!(SYSCALL_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(syscall_name(__NR_getpid), Some("getpid"));
        assert_eq!(syscall_name(__NR_clone3), Some("clone3"));
        assert_eq!(syscall_name(100_000), None);
    }
}
