// The CLI's side of `-it`: its own terminal in raw mode for as long as a
// container's terminal is attached, and the copy loop between them.
#pragma once

#include <termios.h>

namespace brick::cli {

// Puts stdin's terminal in raw mode (every key, ^C included, goes to the
// container's terminal) and restores it when destroyed, whatever happened.
// Does nothing when stdin is no terminal.
class RawTerminal {
 public:
  RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal();

 private:
  struct termios saved_ {};
  bool active_ = false;
};

// Copies the terminal's output (`master`) to stdout until the process side
// is all closed, and with `forward_stdin` stdin into it until stdin ends.
void relay_terminal(int master, bool forward_stdin);

}  // namespace brick::cli
