# Helpers for CMakeLists.txt and tests/CMakeLists.txt.

# Sets `out` to the list `name` of a .bzl file (lib/sources.bzl, tools/sources.bzl): the lists that
# Bazel loads, read here as text, so that both builds compile the same files.
function(rwkvtok_bzl_list file name out)
  file(READ "${file}" _text)
  string(REGEX MATCH "\n${name} = \\[[^]]*\\]" _block "${_text}")
  if(NOT _block)
    message(FATAL_ERROR "rwkvtok: ${file} has no list ${name}")
  endif()
  string(REGEX MATCHALL "\"[^\"]+\"" _items "${_block}")
  list(TRANSFORM _items REPLACE "\"" "")
  set(${out} ${_items} PARENT_SCOPE)
endfunction()

function(rwkvtok_cxx17 target)
  set_target_properties(${target} PROPERTIES
    CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
endfunction()

# Sets `out` to whether the library gets the vector lanes: RWKVTOK_LANES, where "auto" means on
# x86-64 and aarch64, the CPUs whose vectors pay (docs/performance.md).
function(rwkvtok_resolve_lanes out)
  if(RWKVTOK_LANES STREQUAL "auto")
    string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _cpu)
    if(_cpu MATCHES "^(x86_64|amd64|aarch64|arm64)$")
      set(${out} ON PARENT_SCOPE)
    else()
      set(${out} OFF PARENT_SCOPE)
    endif()
  else()
    string(TOUPPER "${RWKVTOK_LANES}" _value)
    if(_value MATCHES "^(ON|YES|TRUE|Y|1)$")
      set(${out} ON PARENT_SCOPE)
    elseif(_value MATCHES "^(OFF|NO|FALSE|N|0)$")
      set(${out} OFF PARENT_SCOPE)
    else()
      message(FATAL_ERROR "rwkvtok: RWKVTOK_LANES must be auto, ON or OFF, not '${RWKVTOK_LANES}'")
    endif()
  endif()
endfunction()

# Highway's headers for the lanes, as the interface target rwkvtok_highway (headers and
# defines), which `target_out` names. Nothing of Highway is linked: on x86-64 the code is compiled
# for several targets and lib/targets.cc chooses one at run time; elsewhere (aarch64, cross
# builds for it) for the one target the compiler flags name.
function(rwkvtok_find_highway target_out)
  add_library(rwkvtok_highway INTERFACE)
  if(TARGET hwy::hwy)
    # A parent project's own Highway: its headers.
    target_include_directories(rwkvtok_highway SYSTEM INTERFACE
      $<TARGET_PROPERTY:hwy::hwy,INTERFACE_INCLUDE_DIRECTORIES>)
  else()
    find_path(RWKVTOK_HWY_INCLUDE_DIR hwy/highway.h PATHS /usr/include /usr/local/include
              NO_CMAKE_FIND_ROOT_PATH)
    if(NOT RWKVTOK_HWY_INCLUDE_DIR)
      message(FATAL_ERROR "rwkvtok: Highway is missing (Debian: libhwy-dev; tools/setup.sh "
                          "installs it), or build without the lanes: -DRWKVTOK_LANES=OFF")
    endif()
    # Only hwy/ of that include directory: a cross compiler must not see the build machine's
    # other headers.
    set(_dir "${PROJECT_BINARY_DIR}/highway")
    file(MAKE_DIRECTORY "${_dir}")
    if(NOT EXISTS "${_dir}/hwy")
      file(CREATE_LINK "${RWKVTOK_HWY_INCLUDE_DIR}/hwy" "${_dir}/hwy" SYMBOLIC)
    endif()
    target_include_directories(rwkvtok_highway SYSTEM INTERFACE "${_dir}")
  endif()
  string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _cpu)
  if(_cpu MATCHES "^(x86_64|amd64)$")
    # SSSE3 and SSE4 (2 x 4 lanes) lose to the plain walk (docs/performance.md), as in lib/BUILD.
    target_compile_definitions(rwkvtok_highway INTERFACE
      "HWY_DISABLED_TARGETS=(HWY_SSSE3|HWY_SSE4)")
  else()
    target_compile_definitions(rwkvtok_highway INTERFACE HWY_COMPILE_ONLY_STATIC=1)
  endif()
  set(${target_out} rwkvtok_highway PARENT_SCOPE)
endfunction()

# Links the library's objects of `objects` (default: the whole tokenizer's, RWKVTOK_FULL_OBJECTS,
# whatever RWKVTOK_VARIANT is) into `target`, with what
# code inside the project needs to use its internals: the sources' include paths, the generated
# arrays, the lanes' define and Highway.
function(rwkvtok_link_library_objects target)
  set(_objects ${RWKVTOK_FULL_OBJECTS})
  if(ARGC GREATER 1)
    set(_objects ${ARGV1})
  endif()
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:${_objects}>)
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}"
                             "${PROJECT_SOURCE_DIR}/lib" "${RWKVTOK_GENERATED_DIR}")
  add_dependencies(${target} rwkvtok_world_blob)
  if(RWKVTOK_LANES_ON)
    target_compile_definitions(${target} PRIVATE RWKVTOK_LANES=1)
    target_link_libraries(${target} PRIVATE ${RWKVTOK_HWY_TARGET})
  endif()
endfunction()
