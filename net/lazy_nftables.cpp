// libnftables, opened on first use (see base/lazy_library.hpp): one
// trampoline per function brick calls.
#include "net/lazy_nftables.hpp"

#include <nftables/libnftables.h>

namespace brick::net {

LazyLibrary& libnftables() {
  static LazyLibrary lib("libnftables.so.1");
  return lib;
}

}  // namespace brick::net

using brick::net::libnftables;

// clang-format off
BRICK_LAZY_FUNCTION(libnftables(), struct nft_ctx *, nft_ctx_new, (uint32_t a0), (a0))
BRICK_LAZY_FUNCTION(libnftables(), void, nft_ctx_free, (struct nft_ctx *a0), (a0))
BRICK_LAZY_FUNCTION(libnftables(), int, nft_ctx_buffer_error, (struct nft_ctx *a0), (a0))
BRICK_LAZY_FUNCTION(libnftables(), int, nft_ctx_buffer_output, (struct nft_ctx *a0), (a0))
BRICK_LAZY_FUNCTION(libnftables(), const char *, nft_ctx_get_error_buffer, (struct nft_ctx *a0), (a0))
BRICK_LAZY_FUNCTION(libnftables(), const char *, nft_ctx_get_output_buffer, (struct nft_ctx *a0), (a0))
BRICK_LAZY_FUNCTION(libnftables(), void, nft_ctx_output_set_flags, (struct nft_ctx *a0, unsigned int a1), (a0, a1))
BRICK_LAZY_FUNCTION(libnftables(), int, nft_run_cmd_from_buffer, (struct nft_ctx *a0, const char *a1), (a0, a1))
// clang-format on
