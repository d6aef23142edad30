// TEMPORARY: link stubs while the real implementations are written in
// parallel. Each owner deletes their stub from this file.
#include "compose/dotenv.hpp"
#include "compose/graph.hpp"
#include "compose/interpolate.hpp"
#include "compose/loader.hpp"
#include "compose/parse_project.hpp"
#include "compose/profiles.hpp"
#include "compose/serialize.hpp"
#include "compose/units.hpp"

namespace brick::compose {
// [parse_project]
}  // namespace brick::compose
