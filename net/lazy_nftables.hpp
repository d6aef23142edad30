// libnftables is opened on first use rather than at exec
// (base/lazy_library.hpp says why); NAT calls load() before using it.
#pragma once

#include "base/lazy_library.hpp"

namespace brick::net {

LazyLibrary& libnftables();

}  // namespace brick::net
