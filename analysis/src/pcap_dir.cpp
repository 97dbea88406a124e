#include "detail/pcap_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace smppscope::analysis::detail {

namespace {

bool digits(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

[[noreturn]] void refuse(const std::filesystem::path& p, const std::string& why) {
  throw std::runtime_error("--pcap-dir " + p.string() + ": " + why);
}

// mkdir -p with mode 0700 for every component it creates.
void create_missing(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0 || errno != ENOENT) return;
  const std::filesystem::path parent = p.parent_path();
  if (!parent.empty() && parent != p) create_missing(parent);
  if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST)
    refuse(p, std::string("cannot create the directory (") + std::strerror(errno) + ")");
}

}  // namespace

bool is_own_name(std::string_view name, std::string_view prefix) noexcept {
  // PREFIX-YYYYMMDD-HHMMSS-N.pcap or .pcapng (retention covers files of either format)
  if (name.size() < prefix.size() || name.substr(0, prefix.size()) != prefix) return false;
  name.remove_prefix(prefix.size());
  bool ext_ok = false;
  for (const std::string_view ext : {std::string_view(".pcapng"), std::string_view(".pcap")}) {
    if (name.size() < ext.size() || name.substr(name.size() - ext.size()) != ext) continue;
    name.remove_suffix(ext.size());
    ext_ok = true;
    break;
  }
  if (!ext_ok) return false;
  if (name.size() < 18 || name[0] != '-' || name[9] != '-' || name[16] != '-') return false;
  return digits(name.substr(1, 8), 8, 8) && digits(name.substr(10, 6), 6, 6) && digits(name.substr(17), 1, 20);
}

pcap_dir::pcap_dir(const std::filesystem::path& path, std::string prefix) : prefix_(std::move(prefix)) {
  // "dir/" would make the kernel follow a symlink named dir; drop trailing separators.
  std::string s = path.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s.empty()) refuse(path, "empty path");
  path_ = s;
  create_missing(path_);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const auto target = std::filesystem::canonical(path_, ec);
      refuse(path_, "is a symbolic link; give the real directory" +
                        (ec ? std::string() : " (" + target.string() + ")") + " instead");
    }
    if (err == ENOTDIR) refuse(path_, "is not a directory");
    refuse(path_, std::string("cannot open the directory (") + std::strerror(err) + ")");
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    refuse(path_, std::string("cannot stat the directory (") + std::strerror(err) + ")");
  }
  if (st.st_mode & S_IWOTH) {
    if (!(st.st_mode & S_ISVTX)) {
      ::close(fd_);
      refuse(path_, "is world-writable, so anyone could replace or delete the captures; "
                    "use a private directory (chmod o-w, or a new one: it is created 0700)");
    }
    std::fprintf(stderr,
                 "smppscope: pcap: warning: --pcap-dir %s is world-writable (sticky); captures are "
                 "created 0600 and never through symlinks, but a private directory is better\n",
                 path_.c_str());
  }
}

pcap_dir::~pcap_dir() {
  if (fd_ >= 0) ::close(fd_);
}

int pcap_dir::create(const std::string& name) const noexcept {
  return ::openat(fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

bool pcap_dir::remove(const std::string& name) const noexcept { return ::unlinkat(fd_, name.c_str(), 0) == 0; }

std::vector<own_file> pcap_dir::own_files() const {
  std::vector<own_file> out;
  const int dfd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return out;
  DIR* d = ::fdopendir(dfd);
  if (!d) {
    ::close(dfd);
    return out;
  }
  const uid_t me = ::geteuid();
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (!is_own_name(name, prefix_)) continue;
    struct stat st {};
    if (::fstatat(fd_, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != me) continue;
    out.push_back({std::string(name), std::uint64_t(st.st_size),
                   std::int64_t(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const own_file& a, const own_file& b) {
    return a.mtime_us != b.mtime_us ? a.mtime_us < b.mtime_us : a.name < b.name;
  });
  return out;
}

std::optional<std::uint64_t> pcap_dir::free_bytes() const noexcept {
  struct statvfs v {};
  if (::fstatvfs(fd_, &v) != 0) return std::nullopt;
  return std::uint64_t(v.f_bavail) * v.f_frsize;
}

}  // namespace smppscope::analysis::detail
