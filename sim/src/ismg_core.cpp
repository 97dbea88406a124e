#include "ismg_core.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "smppscope/cmpp_auth/authenticator.hpp"

namespace smppscope::sim::detail {
namespace {

using cmpp::command_id;
constexpr std::uint32_t id_of(command_id c) noexcept { return static_cast<std::uint32_t>(c); }

// SUBMIT_RESP Result values the simulator answers with (CMPP 2.0 section 6, SUBMIT_RESP).
namespace result {
constexpr std::uint32_t ok = 0, structure_error = 1, command_error = 2, length_error = 4;
}  // namespace result
// CONNECT_RESP Status values.
namespace status {
constexpr std::uint32_t ok = 0, structure_error = 1, illegal_source = 2, other = 5;
}  // namespace status

std::size_t index_of(const cmpp::command_spec* spec, std::string_view name) {
  if (spec)
    for (std::size_t i = 0; i < spec->fields.size(); ++i)
      if (spec->fields[i].name == name) return i;
  throw std::logic_error("CMPP table has no field " + std::string(name));
}

// Offset of field `index` in a PDU: the header and the fixed widths before it (only valid while
// no list or content precedes it).
std::size_t offset_of(const cmpp::command_spec* spec, std::size_t index) {
  std::size_t at = cmpp::header_size;
  for (std::size_t i = 0; i < index; ++i) {
    const auto t = spec->fields[i].type;
    if (t == cmpp::field_type::terminal_list || t == cmpp::field_type::msg_content || t == cmpp::field_type::raw)
      throw std::logic_error("CMPP field offset after a variable field");
    at += spec->fields[i].width;
  }
  return at;
}

void put_be(std::uint8_t* p, std::uint64_t v, std::size_t width) noexcept {
  for (std::size_t i = width; i-- > 0;) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

cmpp_auth::status_width width_of(cmpp::version v) noexcept {
  return v == cmpp::version::v20 ? cmpp_auth::status_width::cmpp2 : cmpp_auth::status_width::cmpp3;
}

template <std::size_t N>
std::uint8_t copy_text(std::string_view from, std::array<char, N>& to) noexcept {
  const std::size_t n = std::min(from.size(), N);
  std::memcpy(to.data(), from.data(), n);
  return static_cast<std::uint8_t>(n);
}

}  // namespace

std::size_t cmpp_field_offset(const cmpp::command_spec* spec, std::string_view name) {
  return offset_of(spec, index_of(spec, name));
}

// ---- Msg_Id -----------------------------------------------------------------------------------

std::uint64_t msg_id_source::make(std::int64_t unix_seconds, std::uint16_t seq) const noexcept {
  const cmpp::connect_time t = cmpp::unpack_timestamp(cmpp_auth::timestamp_of(unix_seconds));
  cmpp::msg_id_parts p;
  p.month = t.month;
  p.day = t.day;
  p.hour = t.hour;
  p.minute = t.minute;
  p.second = t.second;
  p.gateway = gateway_;
  p.sequence = seq;
  return cmpp::pack_msg_id(p);
}

std::uint64_t msg_id_source::next(std::int64_t unix_seconds) noexcept {
  const std::uint64_t now = static_cast<std::uint64_t>(std::max<std::int64_t>(unix_seconds, 0));
  std::uint64_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t sec = s >> 16;
    std::uint64_t n;
    if (s == 0 || now > sec)
      n = now << 16;  // a new second: sequence 0
    else if ((s & 0xFFFF) == 0xFFFF)
      n = (sec + 1) << 16;  // 65536 in one second: borrow the next second
    else
      n = s + 1;
    if (state_.compare_exchange_weak(s, n, std::memory_order_relaxed))
      return make(static_cast<std::int64_t>(n >> 16), static_cast<std::uint16_t>(n & 0xFFFF));
  }
}

// ---- shared state ------------------------------------------------------------------------------

cmpp_layout::cmpp_layout(cmpp::version v) : ver(v) {
  submit = cmpp::find_command(id_of(command_id::submit), v);
  deliver = cmpp::find_command(id_of(command_id::deliver), v);
  const auto* resp = cmpp::find_command(id_of(command_id::submit_resp), v);
  if (!submit || !deliver || !resp) throw std::logic_error("CMPP table lacks SUBMIT / DELIVER / SUBMIT_RESP");
  s_msg_id = index_of(submit, "Msg_Id");
  s_registered_delivery = index_of(submit, "Registered_Delivery");
  s_msg_fmt = index_of(submit, "Msg_Fmt");
  s_tp_udhi = index_of(submit, "TP_udhi");
  s_service_id = index_of(submit, "Service_Id");
  s_src_id = index_of(submit, "Src_Id");
  s_dest_ids = index_of(submit, "Dest_terminal_Id");
  s_content = index_of(submit, "Msg_Content");
  submit_resp = cmpp::pdu_builder(command_id::submit_resp, v).set("Msg_Id", 0).set("Result", 0).bytes();
  const std::size_t r = index_of(resp, "Result");
  resp_msg_id_at = offset_of(resp, index_of(resp, "Msg_Id"));
  resp_result_at = offset_of(resp, r);
  resp_result_width = resp->fields[r].width;
}

ismg_shared::ismg_shared(const ismg_options& o) : opt(o), schedule(o.dlr_mix), ids(o.gateway_code) {
  // MO texts, encoded once: ASCII, UCS2 (Cyrillic, CJK and a surrogate pair) and GBK.
  mo_texts.push_back({{'H', 'e', 'l', 'l', 'o', ' ', 'f', 'r', 'o', 'm', ' ', 'a', ' ', 'h', 'a', 'n', 'd', 's', 'e', 't'},
                      static_cast<std::uint8_t>(cmpp::msg_fmt::ascii)});
  mo_texts.push_back({decoder::utf8_to_ucs2("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x91\x8B"),
                      static_cast<std::uint8_t>(cmpp::msg_fmt::ucs2)});
  if (auto gbk = cmpp::utf8_to_gbk("\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C"))  // 你好，世界
    mo_texts.push_back({std::move(*gbk), static_cast<std::uint8_t>(cmpp::msg_fmt::gbk)});
}

// ---- the engine --------------------------------------------------------------------------------

struct ismg_core::reply_ctx {
  const cmpp::header& h;
  cmpp::bytes_view frame;
  const sim_time& t;
  byte_buffer& to;
  std::uint32_t pdus = 0;
  bool windowed = false;
  verdict v = verdict::keep;
};

ismg_core::ismg_core(ismg_shared& shared, ismg_events& events)
    : shared_(shared), events_(events), ver_(shared.opt.version) {}

void ismg_core::write_header_only(byte_buffer& to, std::uint32_t id, std::uint32_t seq) {
  std::uint8_t* p = to.prepare(cmpp::header_size).data();
  put_be32(p, cmpp::header_size);
  put_be32(p + 4, id);
  put_be32(p + 8, seq);
  to.commit(cmpp::header_size);
}

void ismg_core::write_submit_resp(byte_buffer& to, std::uint32_t seq, std::uint64_t msg_id, std::uint32_t res) {
  const auto& l = layout();
  std::uint8_t* p = to.append_patchable(l.submit_resp);
  put_be32(p + 8, seq);
  put_be(p + l.resp_msg_id_at, msg_id, 8);
  put_be(p + l.resp_result_at, res, l.resp_result_width);
}

ismg_core::verdict ismg_core::on_frame(cmpp::bytes_view frame, const sim_time& t, byte_buffer& out) {
  ++c_.pdus_in;
  ++pdus_in_total_;
  last_in_ = t.now;
  if (connected_ && shared_.opt.enquire_link_interval.count() > 0)
    next_active_test_ = t.now + shared_.opt.enquire_link_interval;
  const cmpp::header h = cmpp::read_header(frame);
  const auto& opt = shared_.opt;
  const bool drop_now = opt.drop_after_pdus && pdus_in_total_ >= *opt.drop_after_pdus;
  const verdict after = drop_now ? verdict::close_after_flush : verdict::keep;
  if (cmpp::is_response(h.command_id)) return after;  // DELIVER_RESP, ACTIVE_TEST_RESP, ...

  reply_ctx r{h, frame, t, reply_target(out)};
  switch (static_cast<command_id>(h.command_id)) {
    case command_id::connect: on_connect(r); break;
    case command_id::submit: on_submit(r); break;
    case command_id::query: on_query(r); break;
    case command_id::cancel: on_cancel(r); break;
    case command_id::active_test: on_active_test(r); break;
    case command_id::terminate: on_terminate(r); break;
    default: break;  // CMPP has no generic_nack: FWD, route commands and unknown ids go unanswered
  }
  finish_reply(r);
  if (r.v != verdict::keep) return r.v;
  return after;
}

void ismg_core::finish_reply(reply_ctx& r) {
  if (r.pdus == 0) return;
  if (&r.to == &delayed_) {
    held_.push({r.t.now + shared_.opt.latency, delayed_base_ + delayed_.size(), r.windowed ? 1u : 0u, r.pdus});
    if (r.windowed) ++unanswered_;
    return;
  }
  c_.pdus_out += r.pdus;
  pdus_out_total_ += r.pdus;
  if (r.windowed) {
    ++unanswered_;
    ++in_out_;
  }
}

bool ismg_core::take_rate_token(steady::time_point now) noexcept {
  const double rate = shared_.opt.rate;
  const double burst = std::max(2.0, rate / 5.0);
  if (tokens_at_ == steady::time_point{}) {
    tokens_ = burst;
  } else {
    const double dt = std::chrono::duration<double>(now - tokens_at_).count();
    tokens_ = std::min(burst, tokens_ + dt * rate);
  }
  tokens_at_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void ismg_core::on_connect(reply_ctx& r) {
  const auto& opt = shared_.opt;
  const cmpp::decode_error err = cmpp::decode(r.frame, opt.version, pdu_);
  const auto src = pdu_.text("Source_Addr").value_or(std::string_view{});
  const auto* auth = pdu_.field("AuthenticatorSource");
  const std::uint8_t vbyte = static_cast<std::uint8_t>(pdu_.integer("Version").value_or(0));
  const std::uint32_t ts = static_cast<std::uint32_t>(pdu_.integer("Timestamp").value_or(0));
  const auto client = cmpp::version_from_byte(vbyte);

  std::uint32_t st = status::ok;
  std::string_view secret;
  if (err || !auth || auth->raw.size() != 16) {
    st = status::structure_error;
  } else if (connected_) {
    st = status::other;  // a second CONNECT on a connected link
  } else if (client ? *client > opt.version : vbyte > cmpp::version_byte(opt.version)) {
    st = cmpp::connect_status_version_too_high;
  } else if (!client) {
    st = status::structure_error;  // below 2.0: not a version this ISMG speaks
  } else if (!opt.credentials.empty()) {
    const auto it = opt.credentials.find(src);
    if (it == opt.credentials.end()) {
      st = status::illegal_source;
    } else {
      secret = it->second;
      const auto expect = cmpp_auth::authenticator_source(src, secret, ts);
      if (!expect || !cmpp_auth::same(*expect, auth->raw.first<16>())) st = cmpp::connect_status_auth_error;
    }
  }
  // A refused version is answered in the ISMG's own layout with its own Version (the SP
  // reconnects with it); otherwise the SP's version is the session's.
  cmpp::version reply_ver = opt.version;
  if (client && *client <= opt.version) reply_ver = *client;
  std::array<std::uint8_t, 16> ismg_auth{};  // all NUL when refused
  if (st == status::ok)
    if (auto a = cmpp_auth::authenticator_ismg(st, auth->raw.first<16>(), secret, width_of(reply_ver))) ismg_auth = *a;
  const std::uint8_t reply_vbyte = cmpp::version_byte(st == status::ok ? reply_ver : opt.version);
  r.to.append(cmpp::pdu_builder(command_id::connect_resp, reply_ver, r.h.sequence_id)
                  .set("Status", st)
                  .set_bytes("AuthenticatorISMG", ismg_auth)
                  .set("Version", reply_vbyte)
                  .bytes());
  r.pdus = 1;
  events_.on_connect(src, vbyte, st);
  if (st != status::ok) {
    if (!connected_) r.v = verdict::close_after_flush;  // a refused SP reconnects
    return;
  }
  connected_ = true;
  ver_ = reply_ver;
  source_addr_.assign(src);
  if (opt.enquire_link_interval.count() > 0) next_active_test_ = r.t.now + opt.enquire_link_interval;
  if (opt.mo_rate > 0)
    next_mo_ = r.t.now + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / opt.mo_rate));
}

void ismg_core::on_submit(reply_ctx& r) {
  const auto& opt = shared_.opt;
  const auto& l = layout();
  ++c_.submits;
  r.pdus = 1;
  if (!connected_) {
    write_submit_resp(r.to, r.h.sequence_id, 0, result::command_error);
    return;
  }
  if (opt.stop_submit_after && submits_seen_++ >= *opt.stop_submit_after) {
    ++c_.unanswered;  // a hung ISMG: the SP's window fills up
    r.pdus = 0;
    return;
  }
  r.windowed = true;
  if ((opt.window && unanswered_ >= opt.window) || (opt.rate > 0 && !take_rate_token(r.t.now))) {
    write_submit_resp(r.to, r.h.sequence_id, 0, cmpp::result_flow_control);
    ++c_.throttled;
    return;
  }
  const cmpp::decode_error err = cmpp::decode(r.frame, ver_, pdu_);
  if (err) {
    write_submit_resp(r.to, r.h.sequence_id, 0,
                      err.code == cmpp::decode_errc::msg_length_overrun ? result::length_error : result::structure_error);
    return;
  }
  if (opt.error_rate > 0) {
    // Evenly spread, in integer parts per million so that 0.1 is exactly one in ten.
    error_credit_ += static_cast<std::uint64_t>(std::llround(opt.error_rate * 1e6));
    if (error_credit_ >= 1'000'000) {
      error_credit_ -= 1'000'000;
      write_submit_resp(r.to, r.h.sequence_id, 0, opt.error_status);
      ++c_.errors_injected;
      return;
    }
  }
  const std::uint64_t id = shared_.ids.next(r.t.unix_seconds);
  if (pdu_.fields[l.s_registered_delivery].integer == 1) {  // 2: SMC bill only, no report
    const std::size_t n = pdu_.dest_count();
    for (std::size_t i = 0; i < n; ++i) {
      report_record& d = reports_.emplace_slot();
      d.due = r.t.now + opt.latency + opt.dlr_delay;
      d.msg_id = opt.dlr_ids == dlr_id_format::mismatch ? id + (std::uint64_t{1} << 16) : id;  // another gateway's
      d.position = report_position_++;
      d.submit_unix = r.t.unix_seconds;
      d.dest_len = copy_text(pdu_.dest_terminal_id(i), d.dest);
      d.src_len = copy_text(pdu_.fields[l.s_src_id].text(), d.src);
      d.service_len = copy_text(pdu_.fields[l.s_service_id].text(), d.service);
    }
  }
  write_submit_resp(r.to, r.h.sequence_id, id, result::ok);
  ++c_.submits_ok;
  ++accepted_;
}

void ismg_core::on_query(reply_ctx& r) {
  r.pdus = 1;
  r.windowed = true;
  const cmpp::decode_error err = cmpp::decode(r.frame, ver_, pdu_);
  cmpp::pdu_builder b(command_id::query_resp, ver_, r.h.sequence_id);
  if (!err) {
    b.set("Time", pdu_.text("Time").value_or(""))
        .set("Query_Type", pdu_.integer("Query_Type").value_or(0))
        .set("Query_Code", pdu_.text("Query_Code").value_or(""));
  }
  // This session's traffic so far (the simulator keeps no per-day, per-service statistics).
  b.set("MT_TLMsg", static_cast<std::uint32_t>(accepted_))
      .set("MT_Scs", static_cast<std::uint32_t>(accepted_))
      .set("MO_Scs", static_cast<std::uint32_t>(mo_count_));
  r.to.append(b.bytes());
}

void ismg_core::on_cancel(reply_ctx& r) {
  r.pdus = 1;
  r.windowed = true;
  const cmpp::decode_error err = cmpp::decode(r.frame, ver_, pdu_);
  const auto id = pdu_.msg_id();
  // Success_Id 0 for a Msg_Id this gateway handed out, else 1.
  const bool ours = !err && id && *id != 0 && cmpp::unpack_msg_id(*id).gateway == shared_.ids.gateway();
  r.to.append(cmpp::pdu_builder(command_id::cancel_resp, ver_, r.h.sequence_id).set("Success_Id", ours ? 0u : 1u).bytes());
}

void ismg_core::on_active_test(reply_ctx& r) {
  if (shared_.opt.drop_after_enquire_link) {
    r.v = verdict::close_now;
    return;
  }
  if (shared_.opt.no_enquire_link_resp) return;
  r.to.append(cmpp::pdu_builder(command_id::active_test_resp, ver_, r.h.sequence_id).set("Reserved", 0).bytes());
  r.pdus = 1;
}

void ismg_core::on_terminate(reply_ctx& r) {
  write_header_only(r.to, id_of(command_id::terminate_resp), r.h.sequence_id);
  r.pdus = 1;
  connected_ = false;
  ++c_.unbinds;
  next_active_test_ = next_mo_ = steady::time_point::max();
  r.v = verdict::close_after_flush;
}

// ---- timed work --------------------------------------------------------------------------------

steady::time_point ismg_core::next_deadline() const noexcept {
  steady::time_point t = std::min(next_active_test_, next_mo_);
  if (!held_.empty()) t = std::min(t, held_.front().due);
  if (!reports_.empty()) t = std::min(t, reports_.front().due);
  return t;
}

void ismg_core::on_tick(const sim_time& t, byte_buffer& out) {
  std::uint64_t end = delayed_base_;
  while (!held_.empty() && held_.front().due <= t.now) {
    const held& h = held_.front();
    end = h.end;
    in_out_ += h.windowed;
    c_.pdus_out += h.pdus;
    pdus_out_total_ += h.pdus;
    held_.pop();
  }
  if (end > delayed_base_) {
    const std::size_t n = static_cast<std::size_t>(end - delayed_base_);
    out.append({delayed_.data(), n});
    delayed_.consume(n);
    delayed_base_ = end;
  }
  while (!reports_.empty() && reports_.front().due <= t.now) {
    if (connected_) write_report(reports_.front(), t, out);
    reports_.pop();
  }
  if (t.now >= next_active_test_) {  // idle for the interval: is the SP still there?
    write_header_only(out, id_of(command_id::active_test), next_seq());
    ++c_.pdus_out;
    ++pdus_out_total_;
    next_active_test_ = t.now + shared_.opt.enquire_link_interval;
  }
  if (t.now >= next_mo_) {
    const auto period =
        std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / shared_.opt.mo_rate));
    if (t.now - next_mo_ > std::chrono::seconds(1)) next_mo_ = t.now;  // do not burst after a stall
    while (t.now >= next_mo_) {
      write_mo(t, out);
      next_mo_ += period;
    }
  }
}

void ismg_core::write_report(const report_record& d, const sim_time& t, byte_buffer& out) {
  const dlr_mix_entry& outcome = shared_.schedule.at(d.position);
  std::array<char, 10> submitted{};
  format_receipt_date(d.submit_unix, submitted);
  const std::int64_t minute = t.unix_seconds / 60;
  if (minute != time_minute_) {
    format_receipt_date(t.unix_seconds, minute_text_);
    time_minute_ = minute;
  }
  cmpp::status_report rep;
  rep.msg_id = d.msg_id;
  rep.stat = dlr_stat_text(outcome.state);
  rep.submit_time = {submitted.data(), submitted.size()};
  rep.done_time = {minute_text_.data(), minute_text_.size()};
  rep.dest_terminal_id = {d.dest.data(), d.dest_len};
  rep.smsc_sequence = ++smsc_sequence_;
  const std::vector<std::uint8_t> content = cmpp::format_status_report(rep, ver_);
  // A report comes from the original destination, to the SP's service code.
  write_deliver(out, {d.src.data(), d.src_len}, {d.service.data(), d.service_len}, {d.dest.data(), d.dest_len},
                static_cast<std::uint8_t>(cmpp::msg_fmt::ascii), 1, content, t);
  ++c_.dlrs_sent;
}

void ismg_core::write_mo(const sim_time& t, byte_buffer& out) {
  if (shared_.mo_texts.empty()) return;
  const auto& text = shared_.mo_texts[mo_count_ % shared_.mo_texts.size()];
  char src[16] = "13800138";
  const unsigned k = static_cast<unsigned>(mo_count_ % 1000);
  src[8] = static_cast<char>('0' + k / 100);
  src[9] = static_cast<char>('0' + k / 10 % 10);
  src[10] = static_cast<char>('0' + k % 10);
  // The handset writes to the SP's service code: "1066" and the SP's Source_Addr.
  const std::string dest = ("1066" + source_addr_).substr(0, 21);
  write_deliver(out, dest, "MO", {src, 11}, text.msg_fmt, 0, text.content, t);
  ++mo_count_;
  ++c_.mo_sent;
}

void ismg_core::write_deliver(byte_buffer& out, std::string_view dest_id, std::string_view service_id,
                              std::string_view src_terminal, std::uint8_t msg_fmt, std::uint8_t registered_delivery,
                              cmpp::bytes_view content, const sim_time& t) {
  const std::uint32_t seq = next_seq();
  const std::uint64_t id = shared_.ids.next(t.unix_seconds);
  // The cache key, on the stack: a report per SUBMIT must not allocate.
  std::array<char, 80> key;
  std::size_t k = 0;
  for (std::string_view part : {dest_id.substr(0, 21), service_id.substr(0, 10), src_terminal.substr(0, 32)}) {
    std::memcpy(key.data() + k, part.data(), part.size());
    k += part.size();
    key[k++] = '\0';
  }
  key[k++] = static_cast<char>(msg_fmt);
  key[k++] = static_cast<char>(registered_delivery);
  key[k++] = static_cast<char>(content.size());
  const std::string_view key_text(key.data(), k);
  if (key_text != deliver_key_ || deliver_cache_.empty()) {
    try {
      deliver_cache_ = cmpp::pdu_builder(command_id::deliver, ver_)
                         .set("Dest_Id", dest_id)
                         .set("Service_Id", service_id)
                         .set("Msg_Fmt", msg_fmt)
                         .set("Src_terminal_Id", src_terminal)
                         .set("Registered_Delivery", registered_delivery)
                         .set_bytes("Msg_Content", content)
                         .bytes();
    } catch (const std::invalid_argument&) {  // a value wider than its field: nothing to send
      deliver_cache_.clear();
      deliver_key_.clear();
      return;
    }
    const auto& l = layout();
    deliver_content_at_ = offset_of(l.deliver, index_of(l.deliver, "Msg_Content"));
    deliver_msg_id_at_ = offset_of(l.deliver, index_of(l.deliver, "Msg_Id"));
    deliver_key_.assign(key_text);
  }
  std::uint8_t* p = out.append_patchable(deliver_cache_);
  put_be32(p + 8, seq);
  put_be(p + deliver_msg_id_at_, id, 8);
  if (!content.empty()) std::memcpy(p + deliver_content_at_, content.data(), content.size());
  ++c_.pdus_out;
  ++pdus_out_total_;
}

void ismg_core::publish_counters() noexcept {
  auto add = [](std::atomic<std::uint64_t>& to, std::uint64_t& v) {
    if (v) to.fetch_add(v, std::memory_order_relaxed);
    v = 0;
  };
  auto& s = shared_.counters;
  add(s.pdus_in, c_.pdus_in);
  add(s.pdus_out, c_.pdus_out);
  add(s.submits, c_.submits);
  add(s.submits_ok, c_.submits_ok);
  add(s.throttled, c_.throttled);
  add(s.errors_injected, c_.errors_injected);
  add(s.unanswered, c_.unanswered);
  add(s.dlrs_sent, c_.dlrs_sent);
  add(s.mo_sent, c_.mo_sent);
  add(s.unbinds, c_.unbinds);
}

}  // namespace smppscope::sim::detail
