// Helpers for the diagnostics tests: PDUs built with decoder::pdu_builder, fed as tap records
// through a real analyzer (synchronously) with the diagnostics registered. Time is injected.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/diag/diagnostics.hpp"
#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace diag_test {

namespace sc = smppscope::analysis;
namespace sd = smppscope::decoder;
namespace dg = smppscope::analysis::diag;
using bytes = std::vector<std::uint8_t>;
using sc::direction;

inline constexpr std::int64_t t0 = 1'700'000'000'000'000;  // 2023-11-14, microseconds
inline constexpr std::int64_t ms = 1'000;
inline constexpr std::int64_t sec = 1'000'000;
inline constexpr direction e2s = direction::esme_to_smsc;
inline constexpr direction s2e = direction::smsc_to_esme;

inline bytes bind_trx(std::uint32_t seq, sd::command_id id = sd::command_id::bind_transceiver) {
  return sd::pdu_builder(id, seq)
      .set("system_id", "client1")
      .set("password", "secret")
      .set("interface_version", 0x34)
      .bytes();
}
inline bytes bind_resp(std::uint32_t seq, std::uint32_t status = 0,
                       sd::command_id id = sd::command_id::bind_transceiver_resp) {
  if (status != 0) return sd::pdu_builder(id, seq, status).header_only().bytes();
  return sd::pdu_builder(id, seq).set("system_id", "SMSC").tlv_int(sd::tlv_tag::sc_interface_version, 0x34).bytes();
}
inline bytes submit(std::uint32_t seq, std::uint8_t registered_delivery = 0) {
  const std::string text = "hello";
  return sd::pdu_builder(sd::command_id::submit_sm, seq)
      .set("source_addr", "1234")
      .set("destination_addr", "5678")
      .set("registered_delivery", registered_delivery)
      .short_message({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()})
      .bytes();
}
inline bytes submit_resp(std::uint32_t seq, std::uint32_t status = 0, const std::string& message_id = "") {
  if (status != 0) return sd::pdu_builder(sd::command_id::submit_sm_resp, seq, status).header_only().bytes();
  return sd::pdu_builder(sd::command_id::submit_sm_resp, seq).set("message_id", message_id).bytes();
}
inline bytes deliver(std::uint32_t seq) {
  const std::string text = "mo";
  return sd::pdu_builder(sd::command_id::deliver_sm, seq)
      .set("source_addr", "5678")
      .set("destination_addr", "1234")
      .short_message({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()})
      .bytes();
}
inline bytes deliver_resp(std::uint32_t seq, std::uint32_t status = 0) {
  return sd::pdu_builder(sd::command_id::deliver_sm_resp, seq, status).set("message_id", "").bytes();
}
// A delivery receipt (esm_class 0x04) with the id in the text and, optionally, in receipted_message_id.
inline bytes receipt(std::uint32_t seq, const std::string& text_id, std::optional<std::string> tlv_id = {},
                     const std::string& stat = "DELIVRD", std::uint8_t esm_class = 0x04) {
  const std::string text = "id:" + text_id + " sub:001 dlvrd:001 submit date:2311221345 done date:2311221346 stat:" +
                           stat + " err:000 text:hello";
  sd::pdu_builder b(sd::command_id::deliver_sm, seq);
  b.set("source_addr", "5678").set("destination_addr", "1234").set("esm_class", esm_class);
  b.short_message({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  if (tlv_id) b.tlv_text(sd::tlv_tag::receipted_message_id, *tlv_id);
  return b.bytes();
}
inline bytes enquire(std::uint32_t seq) { return sd::pdu_builder(sd::command_id::enquire_link, seq).bytes(); }
inline bytes enquire_resp(std::uint32_t seq) {
  return sd::pdu_builder(sd::command_id::enquire_link_resp, seq).bytes();
}
inline bytes nack(std::uint32_t seq, std::uint32_t status) {
  return sd::pdu_builder(sd::command_id::generic_nack, seq, status).bytes();
}
inline bytes unbind(std::uint32_t seq) { return sd::pdu_builder(sd::command_id::unbind, seq).bytes(); }
inline bytes unbind_resp(std::uint32_t seq) { return sd::pdu_builder(sd::command_id::unbind_resp, seq).bytes(); }

// Analyzer + session table + ring + diagnostics, driven synchronously.
struct harness {
  explicit harness(dg::diag_options o = {}, bool open_session = true)
      : ring(sc::event_ring_options{200000, 64u << 20}),
        sessions(),
        an(ring, sessions),
        diag(o, [this](std::string_view line) { log.emplace_back(line); }) {
    an.add_observer(diag);
    if (open_session) open(1, t0);
  }

  void open(std::uint64_t id, std::int64_t ts) {
    sc::tap_record r;
    r.kind = sc::record_kind::session_open;
    r.session = id;
    r.ts_us = ts;
    r.client.addr[0] = 127;
    r.client.addr[3] = 1;
    r.client.port = 40000;
    r.upstream = r.client;
    r.upstream.port = 2775;
    an.process(r);
  }
  void close(std::uint64_t id, std::int64_t ts, const std::string& why = "client closed") {
    sc::tap_record r;
    r.kind = sc::record_kind::session_close;
    r.session = id;
    r.ts_us = ts;
    r.bytes = {reinterpret_cast<const std::uint8_t*>(why.data()), why.size()};
    an.process(r);
  }
  void send(direction d, std::int64_t ts, const bytes& b, std::uint64_t id = 1) {
    sc::tap_record r;
    r.kind = sc::record_kind::data;
    r.session = id;
    r.dir = d;
    r.ts_us = ts;
    r.bytes = b;
    an.process(r);
  }
  // Ticks every 100 ms from `from` (exclusive) to `to` (inclusive), like the analyzer thread does.
  void tick_until(std::int64_t from, std::int64_t to) {
    for (std::int64_t t = from + 100 * ms; t <= to; t += 100 * ms) an.tick(t);
  }
  void tick(std::int64_t t) { an.tick(t); }

  std::vector<sc::session_alert> alerts(std::uint64_t id = 1) const {
    const auto s = sessions.get(id);
    return s ? s->alerts : std::vector<sc::session_alert>{};
  }
  std::optional<sc::session_alert> alert(std::string_view kind, std::uint64_t id = 1) const {
    for (const auto& a : alerts(id))
      if (a.kind == kind) return a;
    return std::nullopt;
  }
  // Alert / alert_cleared events in the ring, as JSON text.
  std::vector<std::string> events(sc::event_type t) const {
    std::vector<std::string> out;
    for (const sc::event& e : ring.read_since(0, 1'000'000, [t](const sc::event_info& i) { return i.type == t; }))
      out.push_back(e.payload);
    return out;
  }
  std::size_t count_events(sc::event_type t, std::string_view kind) const {
    std::size_t n = 0;
    const std::string needle = "\"kind\":\"" + std::string(kind) + "\"";
    for (const auto& e : events(t))
      if (e.find(needle) != std::string::npos) ++n;
    return n;
  }

  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an;
  std::vector<std::string> log;
  dg::diagnostics diag;
};

}  // namespace diag_test
