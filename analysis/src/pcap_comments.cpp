#include "detail/pcap_comments.hpp"

#include <cstdio>

#include "smppscope/decoder/protocol.hpp"
#include "smppscope/decoder/wire.hpp"

namespace smppscope::analysis::detail {

namespace {

constexpr auto be32 = decoder::wire::get32;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

int hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) return -1;
  int v = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

// The value of the first `"key":"..."` member at or after `from` in JSON text we wrote
// ourselves (the event members, the compliance lints), unescaped; `found` says whether it was
// there. `from` moves past the value.
std::string string_member(std::string_view obj, std::string_view key, std::size_t& from, bool& found) {
  found = false;
  const std::string pat = "\"" + std::string(key) + "\":\"";
  const std::size_t at = obj.find(pat, from);
  if (at == std::string_view::npos) return {};
  std::string out;
  std::size_t i = at + pat.size();
  while (i < obj.size() && obj[i] != '"') {
    if (obj[i] != '\\' || i + 1 >= obj.size()) {
      out += obj[i++];
      continue;
    }
    const char e = obj[i + 1];
    i += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        int cp = hex4(obj, i);
        if (cp < 0) break;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < obj.size() && obj[i] == '\\' && obj[i + 1] == 'u') {
          const int lo = hex4(obj, i + 2);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        append_utf8(out, std::uint32_t(cp));  // a lone surrogate becomes U+FFFD in comment_text
        break;
      }
      default: out += e;  // \" \\ \/
    }
  }
  from = i;
  found = true;
  return out;
}

std::string string_member(std::string_view obj, std::string_view key) {
  std::size_t from = 0;
  bool found = false;
  return string_member(obj, key, from, found);
}

std::string int_member(std::string_view obj, std::string_view key) {
  const std::string pat = "\"" + std::string(key) + "\":";
  const std::size_t at = obj.find(pat);
  if (at == std::string_view::npos) return "?";
  std::size_t i = at + pat.size(), j = i;
  while (j < obj.size() && (obj[j] == '-' || (obj[j] >= '0' && obj[j] <= '9'))) ++j;
  return j > i ? std::string(obj.substr(i, j - i)) : std::string("?");
}

}  // namespace

std::string duration_text(std::int64_t us) {
  char buf[48];
  if (us < 0) us = 0;
  if (us < 1000) std::snprintf(buf, sizeof buf, "%lld us", static_cast<long long>(us));
  else if (us < 1'000'000) std::snprintf(buf, sizeof buf, "%.1f ms", double(us) / 1000.0);
  else std::snprintf(buf, sizeof buf, "%.2f s", double(us) / 1e6);
  return buf;
}

pcap_comments::session_state& pcap_comments::state(std::uint64_t session) {
  // Sessions end with forget(); a flood of sessions that never close is cut back wholesale, so
  // the tracker never grows without bound (a lost match costs a latency comment, nothing else).
  if (sessions_.size() >= max_sessions && !sessions_.count(session)) sessions_.clear();
  return sessions_[session];
}

std::string pcap_comments::on_pdu(std::uint64_t session, direction d, std::int64_t ts_us,
                                  std::span<const std::uint8_t> frame) {
  if (frame.size() < 16) return {};
  const std::uint32_t id = be32(frame.data() + 4), status = be32(frame.data() + 8), seq = be32(frame.data() + 12);
  session_state& s = state(session);
  const int me = static_cast<int>(d);
  if (!decoder::is_response(id)) {
    auto& m = s.outstanding[me];
    auto& order = s.order[me];
    if (m.insert_or_assign(seq, request{id, ts_us}).second) order.push_back(seq);
    while (m.size() > max_outstanding || order.size() > 2 * max_outstanding) {
      m.erase(order.front());
      order.pop_front();
    }
    return {};
  }
  auto& m = s.outstanding[1 - me];
  const auto it = m.find(seq);
  if (it == m.end()) return {};
  const request req = it->second;
  m.erase(it);
  std::string t(decoder::command_name(id));
  if (t.empty()) t = "response";
  t += ": " + duration_text(ts_us - req.ts_us) + " after ";
  const std::string_view req_name = decoder::command_name(req.command_id);
  t += req_name.empty() ? std::string_view("request") : req_name;
  t += " (seq " + std::to_string(seq) + ")";
  if (status != 0) {
    const std::string_view sn = decoder::status_name(status);
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", status);
    t += ", status ";
    t += sn.empty() ? std::string_view(hex) : sn;
  }
  return t;
}

std::string pcap_comments::event_comment(const event& e) {
  const std::string_view j = e.payload;
  switch (e.type) {
    case event_type::alert: {
      std::string t = "alert raised: " + string_member(j, "kind");
      const std::string msg = string_member(j, "message");
      if (!msg.empty()) t += ": " + msg;
      return t;
    }
    case event_type::alert_cleared: return "alert cleared: " + string_member(j, "kind");
    case event_type::malformed: {
      std::string t = "malformed: " + string_member(j, "error") + " (" + int_member(j, "skipped") + " octets skipped";
      t += j.find("\"resynced\":true") != std::string_view::npos ? ", framing resumed)" : ", framing never resumed)";
      return t;
    }
    case event_type::capture_gap:
      return "lossy: capture gap of " + int_member(j, "lost") + " octets, " + int_member(j, "skipped") +
             " more skipped until framing resumed";
    default: return {};
  }
}

void pcap_comments::lint_comments(std::string_view members, std::vector<std::string>& out) {
  std::size_t from = 0;
  for (;;) {
    bool found = false;
    const std::string rule = string_member(members, "rule", from, found);
    if (!found) return;
    std::string t = "lint profile_" + rule;
    const std::size_t next_rule = members.find("\"rule\":", from);
    std::size_t mfrom = from;
    const std::string msg = string_member(members, "message", mfrom, found);
    if (found && (next_rule == std::string_view::npos || mfrom < next_rule)) {
      t += ": " + msg;
      from = mfrom;
    }
    out.push_back(std::move(t));
  }
}

void pcap_comments::queue(std::uint64_t session, std::string text) {
  if (text.empty()) return;
  session_state& s = state(session);
  if (s.queued.size() >= max_queued) {
    ++s.queued_dropped;
    return;
  }
  s.queued.push_back(std::move(text));
}

void pcap_comments::take(std::uint64_t session, std::vector<std::string>& out) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  session_state& s = it->second;
  for (auto& t : s.queued) out.push_back(std::move(t));
  s.queued.clear();
  if (s.queued_dropped) out.push_back("(" + std::to_string(s.queued_dropped) + " more comments not kept)");
  s.queued_dropped = 0;
}

void pcap_comments::forget(std::uint64_t session) { sessions_.erase(session); }

}  // namespace smppscope::analysis::detail
