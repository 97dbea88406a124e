// Workspaces: the live traffic, plus captures uploaded through the UI (POST /api/captures), each
// analysed into its own event ring, session table and diagnostics. The REST and WebSocket
// endpoints read one workspace, chosen with workspace=ID (absent or "live": the live one).
//
//   POST /api/captures --stream body--> private temp dir (0700), file 0600, size-capped
//                      --capture_loader (a loader thread, never a web I/O thread)--> capture_analysis
//                      --> workspace registry (at most max_workspaces; closing one removes its file)
//
// The web library does not know how a capture is analysed: the application hands it a
// capture_loader (the analysis pipeline fed from the file), so the web stays below analysis.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace smppscope::analysis {
class event_ring;
class pdu_annotator;
class session_table;
}  // namespace smppscope::analysis

namespace smppscope::web {

// What the analysis of one capture file left behind. `owner` keeps ring, sessions and whatever the
// providers reach alive; the workspace holds it until it is closed and its last reader is done.
struct capture_analysis {
  std::shared_ptr<const void> owner;
  const analysis::event_ring* ring = nullptr;
  const analysis::session_table* sessions = nullptr;
  // GET /api/sessions/{id}/timeline; empty: 404.
  std::function<std::optional<std::string>(std::uint64_t session, std::int64_t since_second)> timeline;
  const analysis::pdu_annotator* annotate = nullptr;
  std::function<std::optional<std::string>(std::uint64_t session)> session_compliance;
  // A JSON object describing the capture (packets, streams, first/last time ...); "" for none.
  std::string summary_json;
};

// Analyses the capture at `path` (a pcap or pcapng file). nullopt with `error` set (the reader's
// message: "FILE: not a pcap or pcapng capture (...)") when it cannot be read. Runs on the
// server's loader thread, one capture at a time; must not throw (an exception counts as an error).
using capture_loader = std::function<std::optional<capture_analysis>(const std::string& path, std::string& error)>;

}  // namespace smppscope::web
