// A pseudo-terminal for `-t`: the container's process makes it from the
// container's own devpts (exec_target.hpp's open_container_terminal) and
// sends the master to the monitor (run) or the CLI (exec), which keeps it.
#pragma once

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::runtime {

// A console socket's two ends (AF_UNIX, SOCK_SEQPACKET, O_CLOEXEC): `ours`
// receives the master, `theirs` is given to the container's process
// (SpawnOptions/ExecOptions::console_socket) and closed once it runs.
struct ConsoleSocket {
  UniqueFd ours, theirs;
};
Result<ConsoleSocket> make_console_socket();

// The terminal master a container process sent on `console_socket`
// (exec_target.hpp's open_container_terminal). Call it once the spawn or
// exec has returned: the master is there by then, so this never waits.
Result<UniqueFd> receive_terminal(int console_socket);

// What open_container_terminal's `step` was doing, for an error message.
std::string describe_terminal_step(int step);

}  // namespace brick::runtime
