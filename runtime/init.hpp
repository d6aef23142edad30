// `init: true`: the container's PID 1 is a forked copy of the spawning code,
// not a binary from the image or the host. It reaps every orphan, forwards
// every signal it gets to the command and exits with the command's status
// (128 + n when a signal ended it, as docker's tini does).
#pragma once

namespace brick::runtime {

// Called in the container's PID 1 just before execve, after every other
// step (so the init runs under the same ids, capabilities and seccomp filter).
// Forks: returns 0 in the child, which goes on to exec the command; PID 1
// never returns but becomes the init, closing every fd it holds (the
// spawner's report pipe among them) and becoming non-dumpable so nothing in
// the container can ptrace it or read /proc/1/root or /proc/1/fd. Returns -1
// with errno set if the fork fails. Async-signal-safe; allocates nothing.
int become_init() noexcept;

// Every signal back to its default action and none blocked: both survive
// execve, and a container must not start with whatever its spawner ignored
// (SIGPIPE) or blocked. Async-signal-safe.
void reset_signals() noexcept;

}  // namespace brick::runtime
