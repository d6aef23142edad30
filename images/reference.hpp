// Image references as docker names them, and the containers/image transports
// (`oci-archive:`, `docker-archive:`, `oci:`) that point at images outside the
// store.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace brick::images {

// A normalized reference: `busybox` is docker.io/library/busybox:latest.
struct Reference {
  std::string domain;  // "docker.io", "ghcr.io", "localhost:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // empty only when a digest is given alone
  std::string digest;  // "sha256:<64 hex>" or empty

  std::string repository() const { return domain + "/" + path; }
  // The full normalized form: docker.io/library/busybox:latest[@sha256:...].
  std::string str() const;
  // As docker prints it: `busybox`, `me/app`, `ghcr.io/a/b`.
  std::string familiar_repository() const;
  bool operator==(const Reference&) const = default;
};

// Parses and normalizes as docker's ParseNormalizedNamed + TagNameOnly do:
// the default domain docker.io, `library/` for official images, `latest`
// when neither tag nor digest is given. Errors say what is wrong.
Result<Reference> parse_reference(std::string_view text);

// A bare tag as docker accepts it: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_valid_tag(std::string_view tag);
// "sha256:" and 64 lowercase hex digits.
bool is_valid_digest(std::string_view digest);

enum class Transport { OciArchive, DockerArchive, OciLayout };

// `oci-archive:PATH[:REF]`, `docker-archive:PATH`, `oci:DIR[:REF]`. As in
// containers/image, PATH ends at the first `:`.
struct TransportRef {
  Transport transport;
  std::string path;
  std::string ref;  // oci ref.name to select; may be empty
};

// nullopt when `text` names no transport (it is a plain image reference);
// an error when it names one badly.
Result<std::optional<TransportRef>> parse_transport(std::string_view text);

}  // namespace brick::images
