// State directories under --root that hold files a container or an image
// controls (image layers, volumes, writable layers).
#pragma once

#include <string>

#include "base/error.hpp"

namespace brick {

// Creates `path` (and any missing parent, with the usual mode) as a directory
// only its owner may walk into (0700), and tightens one that already exists
// with a wider mode (made by an older brick). Nothing beneath it is then
// reachable by another host user, so a setuid-root file a container writes
// into a volume, or an image ships in a layer, cannot be run by them by its
// host path (CVE-2021-41091). Fails naming `path`.
Status make_private_dir(const std::string& path);

}  // namespace brick
