/* brick's exec shim: the last program brick runs before a container's own.
 *
 * A process that starts or joins a container is brick until its execve, and
 * an image can make that execve run brick again (`#!/proc/self/exe`, runc's
 * CVE-2019-5736): the container's root then holds /proc/PID/exe of a process
 * whose executable is the host's brick binary, and can write to it once no
 * one runs it. So brick's last step is an execve of this shim from a sealed
 * memfd (runtime/exec_shim.hpp), and only the shim execs the container's
 * program: from then on /proc/self/exe is the sealed copy of the shim,
 * which nothing can change.
 *
 * Freestanding (no libc, about a kilobyte): it must cost next to nothing at
 * every start.
 *
 *   argv: SHIM ERROR_FD STAGE N CANDIDATE_1 ... CANDIDATE_N ARG0 ARG1 ...
 *
 * Each candidate (the program, or each place on the container's PATH) is
 * tried in turn with the given argv from ARG0 and the shim's own environment,
 * as exec_target does; when all fail, {STAGE, errno, -1} is written to
 * ERROR_FD (the caller's error pipe) and the shim exits 127. ERROR_FD is
 * made close-on-exec first, so a successful exec closes it. */

#if defined(__x86_64__)
#define NR_write 1
#define NR_fcntl 72
#define NR_execve 59
#define NR_exit 60
__asm__(
    ".text\n.globl _start\n_start:\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call shim_main\n"
    "  hlt\n");
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
#define NR_write 64
#define NR_fcntl 25
#define NR_execve 221
#define NR_exit 93
__asm__(
    ".text\n.globl _start\n_start:\n"
    "  mov x0, sp\n"
    "  bl shim_main\n"
    "  brk #0\n");
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#else
#error "brick's exec shim supports x86_64 and aarch64"
#endif

#define ENOENT 2
#define ENOTDIR 20
#define F_SETFD 2
#define FD_CLOEXEC 1

static __attribute__((noreturn)) void die(long code) {
  for (;;) sys3(NR_exit, code, 0, 0);
}

/* A non-negative decimal, or -1. */
static long number(const char* s) {
  long v = 0;
  if (s == 0 || *s == 0) return -1;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > 1000000) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

__attribute__((noreturn, used)) void shim_main(long* sp) {
  const long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  /* Run any other way (an image's `#!/proc/self/exe`), it does nothing. */
  if (argc < 6) die(127);
  const long error_fd = number(argv[1]);
  const long stage = number(argv[2]);
  const long n = number(argv[3]);
  if (error_fd < 3 || stage < 0 || n < 1 || 4 + n >= argc) die(127);
  if (sys3(NR_fcntl, error_fd, F_SETFD, FD_CLOEXEC) < 0) die(127);
  char** args = argv + 4 + n;
  long first = ENOENT;
  for (long i = 0; i < n; ++i) {
    const long err = -sys3(NR_execve, (long)argv[4 + i], (long)args, (long)envp);
    if (err != ENOENT && err != ENOTDIR && first == ENOENT) first = err;
  }
  volatile int report[3];
  report[0] = (int)stage;
  report[1] = (int)first;
  report[2] = -1;
  sys3(NR_write, error_fd, (long)report, sizeof report);
  die(127);
}
