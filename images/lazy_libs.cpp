// libarchive and libcrypto, opened on first use (see base/lazy_library.hpp):
// one trampoline per function brick calls. A function used from now on
// needs its line here, or the link fails with an undefined reference.
#include "images/lazy_libs.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <cstdarg>
#include <cstdio>

// The sonames these headers belong to.
#if ARCHIVE_VERSION_NUMBER < 3000000 || ARCHIVE_VERSION_NUMBER >= 4000000
#error "libarchive 3.x (libarchive.so.13) expected"
#endif
#if OPENSSL_VERSION_MAJOR != 3
#error "OpenSSL 3 (libcrypto.so.3) expected"
#endif

namespace brick::images {

LazyLibrary& libarchive() {
  static LazyLibrary lib("libarchive.so.13");
  return lib;
}

LazyLibrary& libcrypto() {
  static LazyLibrary lib("libcrypto.so.3");
  return lib;
}

}  // namespace brick::images

using brick::images::libarchive;
using brick::images::libcrypto;

// clang-format off
BRICK_LAZY_FUNCTION(libarchive(), time_t, archive_entry_atime, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_entry_atime_is_set, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), long, archive_entry_atime_nsec, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), struct archive_entry *, archive_entry_clear, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), mode_t, archive_entry_filetype, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), void, archive_entry_free, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), la_int64_t, archive_entry_gid, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), const char *, archive_entry_hardlink, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), time_t, archive_entry_mtime, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_entry_mtime_is_set, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), long, archive_entry_mtime_nsec, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), struct archive_entry *, archive_entry_new, (void), ())
BRICK_LAZY_FUNCTION(libarchive(), const char *, archive_entry_pathname, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), const char *, archive_entry_pathname_utf8, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), mode_t, archive_entry_perm, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), dev_t, archive_entry_rdevmajor, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), dev_t, archive_entry_rdevminor, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), void, archive_entry_set_filetype, (struct archive_entry *a0, unsigned int a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), void, archive_entry_set_mtime, (struct archive_entry *a0, time_t a1, long a2), (a0, a1, a2))
BRICK_LAZY_FUNCTION(libarchive(), void, archive_entry_set_pathname, (struct archive_entry *a0, const char *a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), void, archive_entry_set_perm, (struct archive_entry *a0, mode_t a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), void, archive_entry_set_size, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), la_int64_t, archive_entry_size, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_entry_size_is_set, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), const char *, archive_entry_sourcepath, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), const char *, archive_entry_symlink, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), la_int64_t, archive_entry_uid, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_entry_xattr_count, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_entry_xattr_next, (struct archive_entry *a0, const char **a1, const void **a2, size_t *a3), (a0, a1, a2, a3))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_entry_xattr_reset, (struct archive_entry *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_errno, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), const char *, archive_error_string, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), la_ssize_t, archive_read_data, (struct archive *a0, void *a1, size_t a2), (a0, a1, a2))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_data_block, (struct archive *a0, const void **a1, size_t *a2, la_int64_t *a3), (a0, a1, a2, a3))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_disk_descend, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), struct archive *, archive_read_disk_new, (void), ())
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_disk_open, (struct archive *a0, const char *a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_disk_set_standard_lookup, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_disk_set_symlink_physical, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_free, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), struct archive *, archive_read_new, (void), ())
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_next_header, (struct archive *a0, struct archive_entry **a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_next_header2, (struct archive *a0, struct archive_entry *a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_open, (struct archive *a0, void *a1, archive_open_callback *a2, archive_read_callback *a3, archive_close_callback *a4), (a0, a1, a2, a3, a4))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_open_filename, (struct archive *a0, const char *a1, size_t a2), (a0, a1, a2))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_support_filter_all, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_support_filter_bzip2, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_support_filter_gzip, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_support_filter_xz, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_support_filter_zstd, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_support_format_raw, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_read_support_format_tar, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_add_filter_none, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_close, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), la_ssize_t, archive_write_data, (struct archive *a0, const void *a1, size_t a2), (a0, a1, a2))
BRICK_LAZY_FUNCTION(libarchive(), la_ssize_t, archive_write_data_block, (struct archive *a0, const void *a1, size_t a2, la_int64_t a3), (a0, a1, a2, a3))
BRICK_LAZY_FUNCTION(libarchive(), struct archive *, archive_write_disk_new, (void), ())
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_disk_set_options, (struct archive *a0, int a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_finish_entry, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_free, (struct archive *a0), (a0))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_header, (struct archive *a0, struct archive_entry *a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), struct archive *, archive_write_new, (void), ())
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_open_fd, (struct archive *a0, int a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_open_filename, (struct archive *a0, const char *a1), (a0, a1))
BRICK_LAZY_FUNCTION(libarchive(), int, archive_write_set_format_pax_restricted, (struct archive *a0), (a0))

BRICK_LAZY_FUNCTION(libcrypto(), int, EVP_DigestFinal_ex, (EVP_MD_CTX *a0, unsigned char *a1, unsigned int *a2), (a0, a1, a2))
BRICK_LAZY_FUNCTION(libcrypto(), int, EVP_DigestInit_ex, (EVP_MD_CTX *a0, const EVP_MD *a1, ENGINE *a2), (a0, a1, a2))
BRICK_LAZY_FUNCTION(libcrypto(), int, EVP_DigestUpdate, (EVP_MD_CTX *a0, const void *a1, size_t a2), (a0, a1, a2))
BRICK_LAZY_FUNCTION(libcrypto(), EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
BRICK_LAZY_FUNCTION(libcrypto(), void, EVP_MD_CTX_free, (EVP_MD_CTX *a0), (a0))
BRICK_LAZY_FUNCTION(libcrypto(), const EVP_MD *, EVP_sha256, (void), ())
// clang-format on

// Variadic: formatted here, handed over as one string.
extern "C" void archive_set_error(struct archive* a, int number, const char* format, ...) {
  static const auto real = reinterpret_cast<decltype(&archive_set_error)>(libarchive().symbol("archive_set_error"));
  char text[512];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(text, sizeof text, format, ap);
  va_end(ap);
  real(a, number, "%s", text);
}
