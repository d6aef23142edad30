# brick_module(NAME DEPS...) makes the static library brick_NAME from every
# .cpp in the calling folder. The folder's parent is the include root, so code
# includes "base/error.hpp", "compose/project.hpp" and so on.
function(brick_module name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(brick_${name} STATIC ${sources})
    target_include_directories(brick_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(brick_${name} PUBLIC ${ARGN})
  else()
    # A module with no code yet is still a real, linkable target.
    add_library(brick_${name} INTERFACE)
    target_include_directories(brick_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(brick_${name} INTERFACE ${ARGN})
  endif()
  add_library(brick::${name} ALIAS brick_${name})
endfunction()
