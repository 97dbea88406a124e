// CMPP 2.0 / 3.0 sessions through the same detectors as SMPP, mapped:
//
//   CMPP_ACTIVE_TEST(_RESP)     -> enquire_link: its own list, timeout, interval and RTT
//   CMPP_CONNECT / _RESP        -> bind; Status != 0 -> bind_failed naming the reason
//   CMPP_SUBMIT_RESP Result 8   -> throttled (flow control)
//   CMPP_SUBMIT_RESP Msg_Id     -> DLR pending; a status report (CMPP_DELIVER with
//                                  Registered_Delivery 1) whose Msg_Id matches none -> dlr_unmatched
//   any request / response      -> latency, outstanding window, response_timeout, unmatched_response
//   CONNECT Version != CONNECT_RESP Version               -> version_mismatch
//   AuthenticatorSource / AuthenticatorISMG vs the secret -> cmpp_auth_mismatch (never a drop)
#include <charconv>

#include "detail/diag_state.hpp"
#include "smppscope/cmpp_auth/authenticator.hpp"

namespace smppscope::analysis::diag {

using namespace state;
namespace cmpp = decoder::cmpp;

namespace {

constexpr std::uint32_t cid(cmpp::command_id c) noexcept { return static_cast<std::uint32_t>(c); }

std::string version_text(std::uint8_t v) {
  if (const auto known = cmpp::version_from_byte(v)) return std::string(cmpp::version_name(*known));
  char buf[8];
  std::snprintf(buf, sizeof buf, "%u.%u", unsigned(v >> 4), unsigned(v & 0x0F));
  return buf;
}

std::optional<std::span<const std::uint8_t, 16>> authenticator(const cmpp::pdu& p, std::string_view name) {
  const cmpp::field_value* f = p.field(name);
  if (!f || f->raw.size() != 16) return std::nullopt;
  return std::span<const std::uint8_t, 16>(f->raw.data(), 16);
}

}  // namespace

void diagnostics::on_cmpp_pdu(const pdu_info& i, analysis_context& ctx) {
  const cmpp::pdu& p = *i.cmpp;
  session& s = session_for(i.session, i.ts_us, ctx);
  s.cmpp = true;
  s.cmpp_version = p.ver;
  const direction d = i.dir;
  const std::int64_t ts = i.ts_us;
  note_pdu(s, d, ts, ctx);
  if (i.cmpp_error && malformed_due(s, ts))
    raise_malformed(s, d, i.cmpp_error->message(p), p.hdr.sequence_id, ts, ctx);

  const std::uint32_t cmd = p.hdr.command_id;
  if (cmpp::is_response(cmd)) {
    const direction req_dir = opposite(d);
    // Status / Result / Success_Id; PDUs without one (ACTIVE_TEST_RESP, TERMINATE_RESP) succeed.
    const std::uint32_t status = i.cmpp_error ? 0 : p.status().value_or(0);
    request_entry e;
    const bool matched = match_response(s, req_dir, cmd, p.hdr.sequence_id, cmd == cid(cmpp::command_id::active_test_resp),
                                        status != 0, ts, ctx, e);
    if (cmd == cid(cmpp::command_id::connect_resp) && !i.cmpp_error) {
      cmpp_connect_resp(s, req_dir, p, i.event_id, ts, ctx);
    } else if (cmd == cid(cmpp::command_id::submit_resp) && !i.cmpp_error) {
      if (matched && status == cmpp::status_ok) {
        ++s.acc.accepted_submits[ix(req_dir)];
        if (const auto id = p.msg_id()) {
          char buf[24];
          const auto r = std::to_chars(buf, buf + sizeof buf, *id);
          track_submit(s, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), e.sent_us,
                       e.registered_delivery);
        }
      }
      if (status == cmpp::result_flow_control) note_throttled_response(s, req_dir, "Result 8 (flow control)", ts, ctx);
    }
    return;
  }

  std::uint8_t registered_delivery = 0;
  const bool submit = cmd == cid(cmpp::command_id::submit);
  if (submit && !i.cmpp_error) registered_delivery = static_cast<std::uint8_t>(p.integer("Registered_Delivery").value_or(0));
  track_request(s, d, {cmd, p.hdr.sequence_id, cmd == cid(cmpp::command_id::active_test), submit, registered_delivery},
                ts, ctx);
  if (i.cmpp_error) return;
  if (cmd == cid(cmpp::command_id::connect)) cmpp_connect(s, d, p, i.event_id, ts, ctx);
  else if (p.is_status_report()) cmpp_receipt(s, d, p, ts);
}

void diagnostics::cmpp_connect(session& s, direction d, const cmpp::pdu& p, std::uint64_t event_id, std::int64_t ts,
                               analysis_context& ctx) {
  if (const auto v = p.integer("Version")) s.cmpp_requested_version = static_cast<std::uint8_t>(*v);
  s.connect = {};
  s.connect.seen = true;
  s.connect.source_addr.assign(p.text("Source_Addr").value_or(""));
  const auto auth = authenticator(p, "AuthenticatorSource");
  if (auth) std::copy(auth->begin(), auth->end(), s.connect.authenticator_source.begin());
  if (!opt_.cmpp_secrets || opt_.cmpp_secrets->empty()) return;
  const auto it = opt_.cmpp_secrets->find(s.connect.source_addr);
  if (it == opt_.cmpp_secrets->end()) {
    s.cmpp_auth = "no_secret";
    return;
  }
  const auto timestamp = p.integer("Timestamp");
  const auto expected = auth && timestamp
                            ? cmpp_auth::authenticator_source(s.connect.source_addr, it->second,
                                                              static_cast<std::uint32_t>(*timestamp))
                            : std::nullopt;
  if (!expected) return;  // a broken body, or MD5 refused (FIPS): nothing to say
  s.connect.source_ok = cmpp_auth::same(*expected, *auth);
  if (s.connect.source_ok) {
    s.cmpp_auth = "ok";
    clear(s, alert_kind::cmpp_auth_mismatch, std::nullopt, ts, ctx);
    return;
  }
  s.cmpp_auth = "mismatch";
  std::string msg = "CMPP_CONNECT from Source_Addr ";
  decoder::append_json_string(msg, s.connect.source_addr);
  msg += ": AuthenticatorSource does not match the configured secret (wrong secret, or a Timestamp other than "
         "the one hashed)";
  std::string extra;
  member_str(extra, "authenticator", "AuthenticatorSource", false);
  member_str(extra, "source_addr", s.connect.source_addr);
  member_int(extra, "pdu_event_id", event_id);
  raise(s, alert_kind::cmpp_auth_mismatch, std::nullopt, blame::sender_of(d), std::move(msg), std::move(extra), ts,
        ctx, true);
}

void diagnostics::cmpp_connect_resp(session& s, direction req_dir, const cmpp::pdu& p, std::uint64_t event_id,
                                    std::int64_t ts, analysis_context& ctx) {
  const auto status = p.status();
  if (!status) return;
  if (const auto v = p.integer("Version")) s.cmpp_answered_version = static_cast<std::uint8_t>(*v);
  const std::string_view connect = cmpp::command_name(cid(cmpp::command_id::connect), s.cmpp_version);

  if (*status == cmpp::status_ok) {
    bump(c_->binds_ok);
    clear(s, alert_kind::bind_failed, std::nullopt, ts, ctx);
  } else {
    bump(c_->binds_failed);
    const cmpp::code_spec* code = cmpp::find_code(cmpp::code_table::connect_status, *status, s.cmpp_version);
    std::string msg(connect);
    msg += " refused by the ";
    msg += receiver_name(req_dir);
    msg += ": Status ";
    append_int(msg, *status);
    msg += " (";
    msg += code ? code->description : std::string_view("other error");
    msg += ')';
    std::string extra;
    member_str(extra, "bind", connect, false);
    member_int(extra, "command_status", *status);
    member_str(extra, "status_name", code ? code->name : std::string_view("other"));
    raise(s, alert_kind::bind_failed, std::nullopt, blame::receiver_of(req_dir), std::move(msg), std::move(extra),
          ts, ctx, true);
  }

  if (s.cmpp_requested_version && s.cmpp_answered_version && *s.cmpp_requested_version != *s.cmpp_answered_version) {
    std::string msg = "CMPP version mismatch: ";
    msg += connect;
    msg += " asked for ";
    msg += version_text(*s.cmpp_requested_version);
    msg += ", the ";
    msg += receiver_name(req_dir);
    msg += " answered ";
    msg += version_text(*s.cmpp_answered_version);
    std::string extra;
    member_str(extra, "requested_version", version_text(*s.cmpp_requested_version), false);
    member_str(extra, "answered_version", version_text(*s.cmpp_answered_version));
    member_int(extra, "status", *status);
    raise(s, alert_kind::version_mismatch, std::nullopt, blame::receiver_of(req_dir), std::move(msg),
          std::move(extra), ts, ctx, true);
  } else {
    clear(s, alert_kind::version_mismatch, std::nullopt, ts, ctx);
  }

  // AuthenticatorISMG = MD5(Status + AuthenticatorSource + secret); the ISMG leaves it empty when
  // it refuses the login, so only a successful answer is checked.
  if (*status != cmpp::status_ok || !s.connect.seen || !opt_.cmpp_secrets) return;
  const auto it = opt_.cmpp_secrets->find(s.connect.source_addr);
  const auto ismg = authenticator(p, "AuthenticatorISMG");
  if (it == opt_.cmpp_secrets->end() || !ismg) return;
  const auto width = s.cmpp_version == cmpp::version::v20 ? cmpp_auth::status_width::cmpp2 : cmpp_auth::status_width::cmpp3;
  const auto expected = cmpp_auth::authenticator_ismg(*status, s.connect.authenticator_source, it->second, width);
  if (!expected || cmpp_auth::same(*expected, *ismg)) return;
  s.cmpp_auth = "mismatch";
  std::string msg = "CMPP_CONNECT_RESP for Source_Addr ";
  decoder::append_json_string(msg, s.connect.source_addr);
  msg += ": AuthenticatorISMG does not match the configured secret";
  std::string extra;
  member_str(extra, "authenticator", "AuthenticatorISMG", false);
  member_str(extra, "source_addr", s.connect.source_addr);
  member_int(extra, "pdu_event_id", event_id);
  raise(s, alert_kind::cmpp_auth_mismatch, std::nullopt, blame::receiver_of(req_dir), std::move(msg),
        std::move(extra), ts, ctx, true);
}

void diagnostics::cmpp_receipt(session& s, direction d, const cmpp::pdu& p, std::int64_t ts) {
  const auto r = cmpp::parse_status_report(p.msg_content(), p.ver);
  if (!r) return;
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, r->msg_id).ptr;
  // ACCEPTD is an intermediate state (the final report is still to come).
  match_receipt(s, d, std::string_view(buf, static_cast<std::size_t>(end - buf)), r->stat == "ACCEPTD", ts);
}

}  // namespace smppscope::analysis::diag
