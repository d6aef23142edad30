// What a long-lived process keeps resident that it no longer needs.
#pragma once

#include <cstddef>

#include "base/error.hpp"

namespace brick {

// Unmaps from this process's page tables every page of its read-only file
// mappings (the code and constants of the binary and its libraries) that is
// still as the file has it, so only what runs afterwards faults back in.
// A mapping with a page of its own (relocated RELRO data, a breakpoint) is
// left alone: dropping that page would bring back the file's unrelocated
// bytes. The page cache keeps the pages for every other process, and
// nothing is reread from disk: a page touched again costs a minor fault.
// A monitor runs its start-up code once and then waits for days; this is
// what lets its RSS say what it uses. Returns the kB released.
Result<size_t> release_file_pages();

}  // namespace brick
