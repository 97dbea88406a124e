// Bind results. The bind state itself belongs to the session table; this raises bind_failed.
#include "detail/diag_state.hpp"

namespace smppscope::analysis::diag {

using namespace state;

void diagnostics::handle_bind_response(session& s, direction req_dir, const decoder::pdu& p,
                                       std::uint32_t request_id, std::int64_t ts, analysis_context& ctx) {
  const std::uint32_t status = p.hdr.command_status;
  const bool nack = p.hdr.command_id == id_of(command_id::generic_nack);
  if (status == 0 && !nack) {
    bump(c_->binds_ok);
    clear(s, alert_kind::bind_failed, std::nullopt, ts, ctx);
    return;
  }
  bump(c_->binds_failed);
  std::string msg(decoder::command_name(request_id));
  msg += " refused by the ";
  msg += receiver_name(req_dir);
  msg += ": ";
  if (nack) msg += "generic_nack ";
  append_status(msg, status);
  std::string extra;
  member_str(extra, "bind", decoder::command_name(request_id), false);
  member_int(extra, "command_status", status);
  member_str(extra, "status_name", decoder::status_name(status));
  raise(s, alert_kind::bind_failed, std::nullopt, blame::receiver_of(req_dir), std::move(msg),
        std::move(extra), ts, ctx, true);
}


}  // namespace smppscope::analysis::diag
