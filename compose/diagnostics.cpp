#include "compose/diagnostics.hpp"

namespace brick::compose {

std::string Diagnostic::str() const {
  std::string out;
  std::string where = mark.str();
  if (!where.empty()) out += where + ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

void Diagnostics::error(const Mark& mark, std::string path, std::string message) {
  errors_.push_back(Diagnostic{mark, std::move(path), std::move(message)});
}

void Diagnostics::warning(const Mark& mark, std::string path, std::string message) {
  warnings_.push_back(Diagnostic{mark, std::move(path), std::move(message)});
}

Error Diagnostics::to_error() const {
  if (errors_.size() == 1) return Error(errors_.front().str());
  Error e(std::to_string(errors_.size()) + " errors in the compose configuration");
  for (const auto& d : errors_) e.add_detail(d.str());
  return e;
}

void Diagnostics::absorb(const Diagnostics& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  warnings_.insert(warnings_.end(), other.warnings_.begin(), other.warnings_.end());
}

}  // namespace brick::compose
