// The workspaces of one server: uploaded captures, each with its analysis, its WebSocket hub and its
// file in the server's private temp directory. Thread-safe (one mutex, held for map work only).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "smppscope/web/detail/api.hpp"
#include "smppscope/web/workspace.hpp"

namespace smppscope::web::detail {

class ws_hub;
class workspace_registry;

struct workspace {
  std::string id;    // "c1", "c2" ... never reused while the server runs
  std::string name;  // the uploaded file's name, as the client gave it (for display)
  std::uint64_t bytes = 0;
  std::int64_t created_unix = 0;
  std::filesystem::path file;
  capture_analysis analysis;
  data_source source;  // reads `analysis`
  std::shared_ptr<ws_hub> hub;
};

// A temp file for one upload: 0600 in the private directory, removed when destroyed unless
// handed to a workspace. Holds one of the registry's places while it exists.
class upload_file {
 public:
  upload_file(const upload_file&) = delete;
  upload_file& operator=(const upload_file&) = delete;
  ~upload_file();
  int fd() const noexcept { return fd_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  void close_fd() noexcept;

 private:
  friend class workspace_registry;
  upload_file() = default;
  workspace_registry* owner_ = nullptr;
  int fd_ = -1;
  std::filesystem::path path_;
  bool kept_ = false;
};

class workspace_registry {
 public:
  // `temp_parent`: where the private directory is made; empty: $TMPDIR, else /tmp.
  workspace_registry(std::size_t max_workspaces, std::filesystem::path temp_parent);
  ~workspace_registry();  // removes every file and the private directory
  workspace_registry(const workspace_registry&) = delete;
  workspace_registry& operator=(const workspace_registry&) = delete;

  // A new temp file, taking a place (workspaces and uploads in progress together are at most
  // max_workspaces). nullptr and `full` set when none is free; nullptr and `error` set when the
  // file cannot be made.
  std::unique_ptr<upload_file> begin_upload(bool& full, std::string& error);
  // Turns an upload into a workspace (its place and file pass to it).
  std::shared_ptr<const workspace> add(std::unique_ptr<upload_file> f, std::string name, std::uint64_t bytes,
                                       capture_analysis a, std::shared_ptr<ws_hub> hub);
  std::shared_ptr<const workspace> find(std::string_view id) const;
  // Removes the workspace and its file and stops its hub (its WebSocket clients are closed);
  // readers still answering keep its analysis until they are done. false when unknown.
  bool close(std::string_view id);
  void close_all();
  std::string list_json() const;  // [{"id":"live",...},{"id":"c1",...}]
  std::size_t max() const noexcept { return max_; }
  std::size_t size() const;  // workspaces open
  const std::filesystem::path& dir() const noexcept { return dir_; }  // empty until the first upload

 private:
  friend class upload_file;
  void release_place() noexcept;

  mutable std::mutex mu_;
  std::size_t max_;
  std::filesystem::path parent_;
  std::filesystem::path dir_;
  std::size_t places_ = 0;  // uploads in progress + workspaces
  std::uint64_t next_id_ = 1;
  std::uint64_t next_file_ = 1;
  std::map<std::string, std::shared_ptr<workspace>, std::less<>> items_;
};

// One workspace as JSON (GET /api/workspaces, the answer to an upload).
void append_workspace_json(std::string& out, const workspace& w);

}  // namespace smppscope::web::detail
