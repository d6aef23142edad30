/* Runs inside a container as its root and waits for a process that joins the
 * container (`brick exec`, a healthcheck probe) to appear in its pid
 * namespace while it is still brick, before its execve: the comm of such a
 * process is "brick". Each one caught is stopped (SIGSTOP), then:
 *
 *   catch_joiner probe   tries what runc's CVE-2019-5736 and CVE-2024-21626
 *                        exploits do: open /proc/PID/exe, and each of
 *                        /proc/PID/fd/N (for an O_PATH directory fd also
 *                        `../../../..` beneath it); every success is printed
 *                        as a "LEAK" line. Then the process is let go (SIGCONT).
 *   catch_joiner wedge   leaves it stopped for good, as an attacker that wants
 *                        to hang whoever waits for it.
 *
 * Prints "caught PID" for each, on stdout (the container's log). Runs until
 * killed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int seen[65536];

static int comm_is_brick(int pid) {
  char path[64], comm[32] = {0};
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, comm, sizeof comm - 1);
  close(fd);
  if (n > 0 && comm[n - 1] == '\n') comm[n - 1] = 0;
  return n > 0 && strcmp(comm, "brick") == 0;
}

/* SIGSTOP lands asynchronously: wait until the process is really stopped
 * (state T in /proc/PID/stat), so that what is probed is what was caught. */
static int wait_stopped(int pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  for (int i = 0; i < 2000; ++i) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char* end = strrchr(buf, ')');
    if (end != NULL && end[1] == ' ' && (end[2] == 'T' || end[2] == 't')) return 1;
    usleep(100);
  }
  return 0;
}

static void probe(int pid) {
  char path[64], target[512];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  int exe = open(path, O_RDONLY);
  if (exe >= 0) {
    printf("LEAK %d exe opened\n", pid);
    close(exe);
  }
  for (int fd = 0; fd < 256; ++fd) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) continue;
    target[n] = 0;
    int opened = open(path, O_PATH);
    if (opened < 0) continue;
    printf("LEAK %d fd %d -> %s\n", pid, fd, target);
    struct stat st;
    if (fstat(opened, &st) == 0 && S_ISDIR(st.st_mode)) {
      int up = openat(opened, "../../../../../../..", O_PATH | O_DIRECTORY);
      if (up >= 0) {
        printf("LEAK %d fd %d reaches a host directory\n", pid, fd);
        close(up);
      }
    }
    close(opened);
  }
}

int main(int argc, char** argv) {
  int wedge = argc > 1 && strcmp(argv[1], "wedge") == 0;

  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("watching\n");
  for (;;) {
    DIR* d = opendir("/proc");
    if (d == NULL) return 1;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      int pid = atoi(e->d_name);
      if (pid <= 1 || pid == getpid() || pid >= 65536 || seen[pid]) continue;
      if (!comm_is_brick(pid)) continue;
      if (kill(pid, SIGSTOP) < 0) continue;
      seen[pid] = 1;
      /* Between the comm check and the stop it may have reached its exec
       * (the sealed shim, then the command): then it was not caught. */
      if (!wait_stopped(pid) || !comm_is_brick(pid)) {
        kill(pid, SIGCONT);
        continue;
      }
      printf("caught %d\n", pid);
      if (wedge) continue;
      probe(pid);
      kill(pid, SIGCONT);
    }
    closedir(d);
  }
}
