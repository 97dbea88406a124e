// Test data kept in the repository (tests/data/): where it is, and listing it without throwing.
// Tests list these directories while gtest discovers them (parameterised suites), so a missing or
// unreadable directory must give an empty list and a clear test failure, never an exception.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smppscope::test {

// tests/data, set by tests/CMakeLists.txt.
inline std::filesystem::path data_dir() { return SMPPSCOPE_TEST_DATA_DIR; }

// The reference vectors: one Ethernet/IPv4/TCP frame holding one PDU each (tests/data/vectors/README.md).
inline std::filesystem::path vectors_dir() { return data_dir() / "vectors"; }

// Sorted stems of the files in `dir` whose name starts with `prefix` and ends with `extension`.
// Empty when the directory is missing or unreadable (see missing_data_message).
inline std::vector<std::string> list_files(const std::filesystem::path& dir, std::string_view prefix,
                                           std::string_view extension) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    const std::string stem = p.stem().string();
    if (p.extension() == extension && stem.rfind(prefix, 0) == 0) out.push_back(stem);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What a test says when its data directory is missing or holds nothing it can use.
inline std::string missing_data_message(const std::filesystem::path& dir) {
  return "test data missing: " + dir.string() + " does not exist or holds no matching file (it is part of the repository)";
}

}  // namespace smppscope::test
