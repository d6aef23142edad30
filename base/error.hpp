// The error idiom every module shares: Result<T> = std::expected<T, Error>.
//
// An Error carries an errno (or 0), the innermost message, a stack of context
// strings that each layer adds on the way out, and optional detail lines (for
// instance every validation problem found in a stack file). It is printed once,
// at the edge, by the CLI.
#pragma once

#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace brick {

class Error {
 public:
  explicit Error(std::string message, int errno_value = 0);

  // An Error from the current errno: "what: strerror(errno)".
  static Error from_errno(std::string what);
  static Error from_errno(std::string what, int errno_value);

  // Adds what the caller was doing; the outermost context is printed first.
  Error& context(std::string what) &;
  Error&& context(std::string what) &&;

  Error& add_detail(std::string line) &;
  Error&& add_detail(std::string line) &&;

  int errno_value() const { return errno_; }
  const std::vector<std::string>& details() const { return details_; }
  const std::string& innermost() const { return message_; }

  // "outer: inner: message: strerror" on one line, without the details.
  std::string message() const;
  // message() followed by one detail per line.
  std::string full() const;

 private:
  std::string message_;
  int errno_ = 0;
  std::vector<std::string> context_;  // innermost first
  std::vector<std::string> details_;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(std::string message) { return std::unexpected(Error(std::move(message))); }
inline std::unexpected<Error> fail(Error error) { return std::unexpected(std::move(error)); }
inline std::unexpected<Error> fail_errno(std::string what) {
  return std::unexpected(Error::from_errno(std::move(what)));
}

}  // namespace brick

// Evaluates a Result expression; on error returns it from the enclosing
// function, otherwise yields the value. A GNU statement expression: GCC's
// std::expected has no and_then, and this keeps call sites flat.
#define BRICK_TRY(expr)                                                 \
  ({                                                                    \
    auto&& brick_try_result_ = (expr);                                  \
    if (!brick_try_result_) [[unlikely]]                                \
      return ::std::unexpected(::std::move(brick_try_result_).error()); \
    ::std::move(brick_try_result_).value();                             \
  })

// As BRICK_TRY, adding context (any expression convertible to std::string)
// to the error on the way out.
#define BRICK_TRY_CTX(expr, ctx)                                                     \
  ({                                                                                 \
    auto&& brick_try_result_ = (expr);                                               \
    if (!brick_try_result_) [[unlikely]]                                             \
      return ::std::unexpected(::std::move(brick_try_result_).error().context(ctx)); \
    ::std::move(brick_try_result_).value();                                          \
  })
