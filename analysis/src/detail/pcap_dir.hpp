// The pcap directory: safe file creation, our own files listed for retention, free space
// (internal to capture). Every call runs on the analysis thread.
//
// Policy for --pcap-dir:
//   missing              created, with any missing parents, mode 0700
//   a symbolic link      refused (std::runtime_error naming the target to use instead)
//   world-writable       refused, unless the sticky bit is set (as on /tmp): then a warning,
//                        since others can neither delete nor rename our files there
//   anything else        used as it is (its mode is left alone; our files are 0600)
// The directory is held open by descriptor, so renaming the path or swapping in a symlink after
// start redirects nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smppscope::analysis::detail {

// A file of ours: PREFIX-YYYYMMDD-HHMMSS-N.pcap, a regular file owned by this user.
struct own_file {
  std::string name;
  std::uint64_t size = 0;
  std::int64_t mtime_us = 0;
};

bool is_own_name(std::string_view name, std::string_view prefix) noexcept;

class pcap_dir {
 public:
  // Throws std::runtime_error ("--pcap-dir DIR: what is wrong, what to do").
  pcap_dir(const std::filesystem::path& path, std::string prefix);
  ~pcap_dir();
  pcap_dir(const pcap_dir&) = delete;
  pcap_dir& operator=(const pcap_dir&) = delete;

  // A new file, mode 0600, O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file, never through a
  // symlink. Returns the descriptor, or -1 with errno (EEXIST: the name is taken).
  int create(const std::string& name) const noexcept;
  bool remove(const std::string& name) const noexcept;
  // Our own files, oldest first (modification time, then name). Other files are never listed.
  std::vector<own_file> own_files() const;
  // Octets available to us, when the file system says.
  std::optional<std::uint64_t> free_bytes() const noexcept;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
  std::string prefix_;
  int fd_ = -1;
};

}  // namespace smppscope::analysis::detail
