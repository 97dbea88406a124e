# The repository stands on its own: no file refers to a directory beside the checkout (the
# parent directory's "shared" folder) or to an issue tracker's numbers. Lists the files with
# `git ls-files` (tracked and untracked, ignored ones left out) when ROOT is a git checkout, walks
# the tree otherwise, and fails naming every offending file and line.
#   cmake -DROOT=<source dir> -P self_contained.cmake
#   cmake -DSELF_TEST=<scratch dir> -P self_contained.cmake   (checks that the check can fail)

cmake_minimum_required(VERSION 3.25)

# The patterns are assembled from pieces so that this file does not match itself.
set(_dots "..")
set(_outside "${_dots}/shared")
string(REPLACE "." "\\." _outside_re "${_outside}")
set(_issue_re "[Ii]ssue #[0-9]+")

# Sets ${out} to the files of ${root}, relative to it.
function(list_repository_files root out)
  set(files "")
  find_program(_git git)
  if(_git AND EXISTS "${root}/.git")
    # One name a line (CMake strings cannot hold the NULs of -z); quotePath off keeps UTF-8 names.
    execute_process(COMMAND "${_git}" -C "${root}" -c core.quotePath=false ls-files --cached --others
                            --exclude-standard
                    OUTPUT_VARIABLE raw RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "git ls-files failed in ${root}: ${err}")
    endif()
    string(REPLACE ";" "\\;" raw "${raw}")
    string(REPLACE "\n" ";" files "${raw}")
  else()
    file(GLOB_RECURSE files RELATIVE "${root}" LIST_DIRECTORIES false "${root}/*")
    # Build output, dependencies and test artifacts are not the repository's files.
    list(FILTER files EXCLUDE REGEX "^(build[^/]*|\\.git|node_modules|tests/browser/node_modules|tests/browser/artifacts)/")
  endif()
  list(FILTER files EXCLUDE REGEX "^$")
  list(REMOVE_DUPLICATES files)
  set(${out} "${files}" PARENT_SCOPE)
endfunction()

# Sets ${out} to one entry per offending file under ${root}: the file, then its offending lines.
function(find_offences root out)
  list_repository_files("${root}" files)
  list(LENGTH files n)
  if(n EQUAL 0)
    message(FATAL_ERROR "no files found under ${root}")
  endif()
  set(found "")
  foreach(f IN LISTS files)
    if(NOT EXISTS "${root}/${f}" OR IS_DIRECTORY "${root}/${f}")
      continue()  # deleted in the work tree, or a submodule
    endif()
    file(STRINGS "${root}/${f}" lines REGEX "${_outside_re}|${_issue_re}" ENCODING UTF-8)
    if(lines)
      # (A line holding ';' shows up cut in two here: CMake lists are ';'-separated.)
      list(JOIN lines "\n      " text)
      list(APPEND found "${f}\n      ${text}")
    endif()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
  set(${out}_count ${n} PARENT_SCOPE)
endfunction()

if(DEFINED SELF_TEST)
  # A scratch tree (not a git checkout, so the tree walk is used) with one clean file, one that
  # names the outside directory and one that cites an issue number: exactly the last two are found.
  file(REMOVE_RECURSE "${SELF_TEST}")
  file(WRITE "${SELF_TEST}/clean.txt" "nothing to see\n")
  file(WRITE "${SELF_TEST}/docs/outside.md" "see ${_outside}/INTERFACE.md\n")
  set(_hash "#")
  file(WRITE "${SELF_TEST}/src/issue.cpp" "// fixed for issue ${_hash}12\n")
  file(WRITE "${SELF_TEST}/build-x/ignored.txt" "${_outside}\n")
  find_offences("${SELF_TEST}" found)
  list(LENGTH found n)
  string(FIND "${found}" "docs/outside.md" a)
  string(FIND "${found}" "src/issue.cpp" b)
  file(REMOVE_RECURSE "${SELF_TEST}")
  if(NOT n EQUAL 2 OR a EQUAL -1 OR b EQUAL -1)
    message(FATAL_ERROR "the check missed or over-reported: found ${n}: ${found}")
  endif()
  message(STATUS "self test: both planted references found, the build directory skipped")
  return()
endif()

if(NOT DEFINED ROOT OR NOT IS_DIRECTORY "${ROOT}")
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P self_contained.cmake")
endif()
find_offences("${ROOT}" found)
if(found)
  list(LENGTH found n)
  set(msg "${n} file(s) refer outside the repository or to issue numbers; say it in the repository's own words:\n")
  foreach(f IN LISTS found)
    string(APPEND msg "  ${f}\n")
  endforeach()
  message(FATAL_ERROR "${msg}")
endif()
message(STATUS "${found_count} files checked: none refers outside the repository")
