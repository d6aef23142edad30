// Turns a spec mount's option list into what mount(2) takes: MS_* flags, a
// propagation change (which the kernel only accepts in a mount call of its
// own) and the filesystem-specific data string. Pure, so unit-testable.
#pragma once

#include <string>
#include <vector>

namespace brick::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE, maybe | MS_REC; 0: leave
  std::string data;               // "mode=755,size=65536k"
};

// Options as runc reads them ("ro", "nosuid", "rbind", "rslave", "mode=755").
// Unknown words go to `data`, where the filesystem judges them.
MountOptions parse_mount_options(const std::vector<std::string>& options);

}  // namespace brick::runtime
