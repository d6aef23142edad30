// A pseudo-terminal for `-t`: the monitor (run) or the CLI (exec) keeps the
// master side and gives the slave side to the process as its 0, 1 and 2.
#pragma once

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace brick::runtime {

struct Pty {
  UniqueFd master;  // O_CLOEXEC
  UniqueFd slave;   // O_CLOEXEC, O_NOCTTY: the process makes it its controlling terminal
};

// Opens a new pair on the host's /dev/ptmx. When `size_from` is a terminal,
// the new one takes its window size.
Result<Pty> open_pty(int size_from = -1);

// The window size of `from` (a terminal) onto `to`; false when `from` is none.
bool copy_window_size(int from, int to);

}  // namespace brick::runtime
