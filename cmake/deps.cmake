# The libraries brick links, each behind a target brick::dep::NAME.
#
# With BRICK_STATIC_DEPS (the default outside the sanitizer and fuzz builds)
# the C++ runtime, yaml-cpp, libnl, libseccomp, libcap, spdlog and fmt are
# linked into the binary from Debian's own archives (lib*.a, and spdlog/fmt
# in their header-only form), so brick needs only libc at run time. Every
# container start execs brick twice (the CLI, then its monitor): with twelve
# shared objects the dynamic loader's symbol lookups alone were a fifth of
# `brick --version`'s CPU time, and each monitor kept the pages of all of
# them mapped for its whole life. libarchive, libcrypto and libnftables stay
# shared and are opened on first use (base/lazy_library.hpp).
option(BRICK_STATIC_DEPS "Link the C++ runtime and the small dependencies statically" ON)
if(BRICK_SANITIZE OR BRICK_FUZZ)
  # The sanitizers interpose the allocator through the shared C++ runtime.
  set(BRICK_STATIC_DEPS OFF)
endif()

find_package(Threads REQUIRED)

# brick_dependency(NAME MODULES pkg... [STATIC lib...]): brick::dep::NAME from
# pkg-config modules; with BRICK_STATIC_DEPS, the STATIC libraries' archives.
function(brick_dependency name)
  cmake_parse_arguments(arg "" "" "MODULES;STATIC" ${ARGN})
  pkg_check_modules(BRICK_DEP_${name} REQUIRED ${arg_MODULES})
  add_library(brick_dep_${name} INTERFACE)
  target_include_directories(brick_dep_${name} SYSTEM INTERFACE ${BRICK_DEP_${name}_INCLUDE_DIRS})
  if(BRICK_STATIC_DEPS AND arg_STATIC)
    foreach(lib ${arg_STATIC})
      find_library(BRICK_ARCHIVE_${lib} NAMES lib${lib}.a REQUIRED)
      target_link_libraries(brick_dep_${name} INTERFACE ${BRICK_ARCHIVE_${lib}})
    endforeach()
    target_link_libraries(brick_dep_${name} INTERFACE Threads::Threads m)
  else()
    target_link_libraries(brick_dep_${name} INTERFACE ${BRICK_DEP_${name}_LINK_LIBRARIES})
  endif()
  add_library(brick::dep::${name} ALIAS brick_dep_${name})
endfunction()

brick_dependency(yaml MODULES yaml-cpp STATIC yaml-cpp)
brick_dependency(seccomp MODULES libseccomp STATIC seccomp)
brick_dependency(cap MODULES libcap STATIC cap)
# Order matters for archives: route needs the core library after it.
brick_dependency(nl MODULES libnl-3.0 libnl-route-3.0 STATIC nl-route-3 nl-3)

find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
add_library(brick_dep_log INTERFACE)
if(BRICK_STATIC_DEPS)
  # spdlog and fmt compiled into the (two) files that log, from their headers.
  target_compile_definitions(brick_dep_log INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)
  target_link_libraries(brick_dep_log INTERFACE Threads::Threads)
else()
  target_link_libraries(brick_dep_log INTERFACE spdlog::spdlog fmt::fmt)
endif()
add_library(brick::dep::log ALIAS brick_dep_log)

# brick_executable_runtime(TARGET): the C++ runtime linked into TARGET.
function(brick_executable_runtime target)
  if(BRICK_STATIC_DEPS)
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
