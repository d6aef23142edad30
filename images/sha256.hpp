// Streaming sha256 over OpenSSL's EVP API, and the set of compression filters
// brick accepts for archives and layers. Shared by the unpacker and the store.
#pragma once

#include <archive.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace brick::images {

class Sha256 {
 public:
  Sha256();
  // False when OpenSSL could not set up the digest (then finish() is "").
  bool ok() const { return ctx_ != nullptr; }
  void update(const void* data, size_t size);
  // "sha256:<hex>"; the object is spent afterwards.
  std::string finish();

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// Enables gzip, zstd, xz and bzip2 on a libarchive reader. Not
// archive_read_support_filter_all(): that also enables filters that run
// external programs (lrzip, lzop, grzip...) on untrusted input.
void enable_layer_filters(struct archive* reader);

}  // namespace brick::images
