#include "base/error.hpp"

#include <cerrno>
#include <cstring>

namespace brick {

Error::Error(std::string message, int errno_value) : message_(std::move(message)), errno_(errno_value) {}

Error Error::from_errno(std::string what) { return from_errno(std::move(what), errno); }

Error Error::from_errno(std::string what, int errno_value) { return Error(std::move(what), errno_value); }

Error& Error::context(std::string what) & {
  context_.push_back(std::move(what));
  return *this;
}

Error&& Error::context(std::string what) && {
  context_.push_back(std::move(what));
  return std::move(*this);
}

Error& Error::add_detail(std::string line) & {
  details_.push_back(std::move(line));
  return *this;
}

Error&& Error::add_detail(std::string line) && {
  details_.push_back(std::move(line));
  return std::move(*this);
}

std::string Error::message() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message_;
  if (errno_ != 0) {
    out += ": ";
    out += std::strerror(errno_);
  }
  return out;
}

std::string Error::full() const {
  std::string out = message();
  for (const auto& d : details_) {
    out += '\n';
    out += d;
  }
  return out;
}

}  // namespace brick
