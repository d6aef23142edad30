#include "images/sha256.hpp"

#include "images/lazy_libs.hpp"

namespace brick::images {

// Without libcrypto the object is not ok(); callers say so.
Sha256::Sha256() : ctx_(libcrypto().load() ? EVP_MD_CTX_new() : nullptr) {
  if (ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) ctx_.reset();
}

void Sha256::update(const void* data, size_t size) {
  if (ctx_ && size) EVP_DigestUpdate(ctx_.get(), data, size);
}

std::string Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx_ || EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) return {};
  ctx_.reset();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

void enable_layer_filters(struct archive* reader) {
  archive_read_support_filter_gzip(reader);
  archive_read_support_filter_zstd(reader);
  archive_read_support_filter_xz(reader);
  archive_read_support_filter_bzip2(reader);
}

}  // namespace brick::images
