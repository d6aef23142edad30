// Validation problems collected across a whole stack file, so a user sees
// every error at once, each as `FILE:LINE:COL: services.web.ports[1]: what`.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "compose/node.hpp"

namespace brick::compose {

struct Diagnostic {
  Mark mark;
  std::string path;  // "services.web.ports[1]"; may be empty
  std::string message;

  std::string str() const;
};

class Diagnostics {
 public:
  void error(const Mark& mark, std::string path, std::string message);
  void warning(const Mark& mark, std::string path, std::string message);

  bool has_errors() const { return !errors_.empty(); }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }

  // One Error whose details list every error: "N errors in the compose file".
  Error to_error() const;
  // Appends another collection's findings.
  void absorb(const Diagnostics& other);

 private:
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace brick::compose
