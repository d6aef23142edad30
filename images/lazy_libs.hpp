// The libraries the images module opens on first use rather than at exec
// (base/lazy_library.hpp says why): entry points call load() on them so a
// missing library is an error naming it.
#pragma once

#include "base/lazy_library.hpp"

namespace brick::images {

LazyLibrary& libarchive();
LazyLibrary& libcrypto();

}  // namespace brick::images
