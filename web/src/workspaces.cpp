#include "smppscope/web/detail/workspaces.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/web/detail/ws_hub.hpp"

namespace smppscope::web::detail {

namespace fs = std::filesystem;

upload_file::~upload_file() {
  close_fd();
  if (!kept_) {
    std::error_code ignored;
    if (!path_.empty()) fs::remove(path_, ignored);
    if (owner_) owner_->release_place();
  }
}

void upload_file::close_fd() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

workspace_registry::workspace_registry(std::size_t max_workspaces, fs::path temp_parent)
    : max_(max_workspaces), parent_(std::move(temp_parent)) {
  if (parent_.empty()) {
    const char* t = std::getenv("TMPDIR");
    parent_ = t && *t ? fs::path(t) : fs::path("/tmp");
  }
}

workspace_registry::~workspace_registry() {
  close_all();
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

void workspace_registry::release_place() noexcept {
  std::lock_guard lock(mu_);
  if (places_) --places_;
}

std::unique_ptr<upload_file> workspace_registry::begin_upload(bool& full, std::string& error) {
  full = false;
  std::lock_guard lock(mu_);
  if (places_ >= max_) {
    full = true;
    return nullptr;
  }
  if (dir_.empty()) {
    // mkdtemp makes the directory 0700: other local users can neither list nor open the uploads.
    std::string templ = (parent_ / "smppscope-web-XXXXXX").string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) {
      error = "cannot make a temporary directory in " + parent_.string() + ": " + std::strerror(errno);
      return nullptr;
    }
    dir_ = fs::path(buf.data());
  }
  std::unique_ptr<upload_file> f(new upload_file());
  f->path_ = dir_ / ("upload-" + std::to_string(next_file_++) + ".cap");
  f->fd_ = ::open(f->path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (f->fd_ < 0) {
    error = "cannot make a temporary file in " + dir_.string() + ": " + std::strerror(errno);
    f->path_.clear();
    return nullptr;
  }
  ++places_;
  f->owner_ = this;
  return f;
}

std::shared_ptr<const workspace> workspace_registry::add(std::unique_ptr<upload_file> f, std::string name,
                                                         std::uint64_t bytes, capture_analysis a,
                                                         std::shared_ptr<ws_hub> hub) {
  auto w = std::make_shared<workspace>();
  w->name = std::move(name);
  w->bytes = bytes;
  w->created_unix = static_cast<std::int64_t>(std::time(nullptr));
  w->file = f->path();
  w->source = data_source{.ring = a.ring,
                          .sessions = a.sessions,
                          .timeline = a.timeline,
                          .annotate = a.annotate,
                          .session_compliance = a.session_compliance,
                          .owner = a.owner};
  w->analysis = std::move(a);
  w->hub = std::move(hub);
  f->close_fd();
  f->kept_ = true;  // the place and the file are the workspace's now
  std::lock_guard lock(mu_);
  w->id = "c" + std::to_string(next_id_++);
  if (w->hub) w->hub->set_hello_extra(",\"workspace\":\"" + w->id + "\"");
  items_.emplace(w->id, w);
  return w;
}

std::size_t workspace_registry::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

std::shared_ptr<const workspace> workspace_registry::find(std::string_view id) const {
  std::lock_guard lock(mu_);
  const auto it = items_.find(id);
  return it == items_.end() ? nullptr : it->second;
}

bool workspace_registry::close(std::string_view id) {
  std::shared_ptr<workspace> w;
  {
    std::lock_guard lock(mu_);
    const auto it = items_.find(id);
    if (it == items_.end()) return false;
    w = std::move(it->second);
    items_.erase(it);
    if (places_) --places_;
  }
  std::error_code ignored;
  fs::remove(w->file, ignored);
  if (w->hub) w->hub->stop();
  return true;
}

void workspace_registry::close_all() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, w] : items_) ids.push_back(id);
  }
  for (const auto& id : ids) close(id);
}

void append_workspace_json(std::string& out, const workspace& w) {
  out += "{\"id\":";
  decoder::append_json_string(out, w.id);
  out += ",\"kind\":\"capture\",\"name\":";
  decoder::append_json_string(out, w.name);
  out += ",\"bytes\":" + std::to_string(w.bytes);
  out += ",\"created\":" + std::to_string(w.created_unix);
  if (w.source.ring) out += ",\"events\":" + std::to_string(w.source.ring->stats().events);
  if (w.source.sessions) out += ",\"sessions\":" + std::to_string(w.source.sessions->snapshot().size());
  if (!w.analysis.summary_json.empty()) out += ",\"capture\":" + w.analysis.summary_json;
  out += '}';
}

std::string workspace_registry::list_json() const {
  std::vector<std::shared_ptr<const workspace>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, w] : items_) all.push_back(w);
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::stoull(a->id.substr(1)) < std::stoull(b->id.substr(1));
  });
  std::string out = "[{\"id\":\"live\",\"kind\":\"live\",\"name\":\"Live\"}";
  for (const auto& w : all) {
    out += ',';
    append_workspace_json(out, *w);
  }
  out += ']';
  return out;
}

}  // namespace smppscope::web::detail
