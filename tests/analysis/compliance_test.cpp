// The live compliance check, rule by rule: for each, a session that breaks it (a lint on the
// PDU's event, counted in the session summary, an alert when sustained) and one that keeps it
// (nothing raised). Driven through a real analyzer with synthetic tap records; time is injected.
#include "smppscope/analysis/compliance.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/profile/loader.hpp"

namespace {

namespace sc = smppscope::analysis;
namespace sd = smppscope::decoder;
namespace pf = smppscope::profile;
namespace json = boost::json;
using bytes = std::vector<std::uint8_t>;
using sc::direction;
using cid = sd::command_id;

constexpr std::int64_t t0 = 1'700'000'000'000'000;
constexpr std::int64_t ms = 1'000;
constexpr std::int64_t sec = 1'000'000;
constexpr direction e2s = direction::esme_to_smsc;
constexpr direction s2e = direction::smsc_to_esme;

sd::bytes_view view(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

bytes bind(std::uint32_t seq, const std::string& system_id = "smpp-abc123", cid id = cid::bind_transceiver,
           std::uint8_t version = 0x34) {
  return sd::pdu_builder(id, seq).set("system_id", system_id).set("password", "pw").set("interface_version", version).bytes();
}
bytes bind_resp(std::uint32_t seq, cid id = cid::bind_transceiver_resp, std::uint32_t status = 0) {
  if (status) return sd::pdu_builder(id, seq, status).header_only().bytes();
  return sd::pdu_builder(id, seq).set("system_id", "SMSC").bytes();
}
struct sm {
  std::string text = "hello";
  std::uint8_t dc = 0;
  std::vector<std::pair<std::uint16_t, std::string>> tlvs;
};
bytes submit(std::uint32_t seq, const sm& m = {}) {
  sd::pdu_builder b(cid::submit_sm, seq);
  b.set("source_addr", "1234").set("destination_addr", "33600000001").set("data_coding", m.dc);
  b.short_message(view(m.text));
  for (const auto& [tag, v] : m.tlvs) b.tlv(tag, view(v));
  return b.bytes();
}
bytes submit_resp(std::uint32_t seq) { return sd::pdu_builder(cid::submit_sm_resp, seq).set("message_id", "m").bytes(); }
bytes simple(cid id, std::uint32_t seq) { return sd::pdu_builder(id, seq).bytes(); }

struct harness {
  explicit harness(pf::profile_ptr p, sc::compliance_options o = {})
      : ring(sc::event_ring_options{100000, 32u << 20}), an(ring, sessions), check([&] {
          o.profile = std::move(p);
          return o;
        }()) {
    an.add_observer(check);
  }

  void open(std::uint64_t id, std::int64_t ts, std::uint8_t host = 1, bool upstream_tls = false,
            const std::string& text = {}, std::uint16_t upstream_port = 2775) {
    sc::tap_record r;
    r.kind = sc::record_kind::session_open;
    r.session = id;
    r.ts_us = ts;
    r.client.addr[0] = 127;
    r.client.addr[3] = host;
    r.client.port = static_cast<std::uint16_t>(40000 + id);
    r.upstream.addr[0] = 10;
    r.upstream.port = upstream_port;
    r.upstream_tls = upstream_tls;
    r.bytes = view(text);
    an.process(r);
  }
  void close(std::uint64_t id, std::int64_t ts) {
    sc::tap_record r;
    r.kind = sc::record_kind::session_close;
    r.session = id;
    r.ts_us = ts;
    an.process(r);
  }
  void send(direction d, std::int64_t ts, const bytes& b, std::uint64_t id = 1) {
    sc::tap_record r;
    r.session = id;
    r.dir = d;
    r.ts_us = ts;
    r.bytes = b;
    an.process(r);
  }
  // Open + bind (transceiver unless told) + bind_resp.
  void bound(std::uint64_t id, std::int64_t ts, const std::string& system_id = "smpp-abc123",
             cid type = cid::bind_transceiver, std::uint8_t host = 1) {
    open(id, ts, host);
    send(e2s, ts + ms, bind(1, system_id, type), id);
    send(s2e, ts + 2 * ms, bind_resp(1, static_cast<cid>(static_cast<std::uint32_t>(type) | sd::response_bit)), id);
  }

  // The rules named in the newest pdu event's "profile_lints".
  std::vector<std::string> last_lints(std::uint64_t session = 1) const {
    const auto evs = ring.read_last(1, [&](const sc::event_info& i) { return i.type == sc::event_type::pdu && i.session == session; });
    if (evs.empty()) return {};
    return lints_of(evs[0]);
  }
  std::vector<std::string> lints_of(const sc::event& e) const {
    sc::render_options ro;
    ro.annotate = &check;
    const json::object o = json::parse(sc::event_json(e, ro)).as_object();
    std::vector<std::string> rules;
    if (const auto* l = o.if_contains("profile_lints"))
      for (const auto& x : l->as_array()) rules.emplace_back(x.as_object().at("rule").as_string());
    return rules;
  }
  json::object last_event_json(std::uint64_t session = 1) const {
    const auto evs = ring.read_last(1, [&](const sc::event_info& i) { return i.type == sc::event_type::pdu && i.session == session; });
    sc::render_options ro;
    ro.annotate = &check;
    return evs.empty() ? json::object{} : json::parse(sc::event_json(evs[0], ro)).as_object();
  }
  std::uint64_t count(const std::string& rule, std::uint64_t session = 1) const {
    const auto b = check.breaches(session);
    const auto it = b.find(rule);
    return it == b.end() ? 0 : it->second;
  }
  std::size_t total(std::uint64_t session = 1) const {
    std::size_t n = 0;
    for (const auto& [k, v] : check.breaches(session)) n += v;
    return n;
  }
  std::optional<sc::session_alert> alert(const std::string& kind, std::uint64_t session = 1) const {
    const auto s = sessions.get(session);
    if (s)
      for (const auto& a : s->alerts)
        if (a.kind == kind) return a;
    return std::nullopt;
  }
  json::object summary(std::uint64_t session = 1) const {
    const auto s = check.session_summary_json(session);
    return s ? json::parse(*s).as_object() : json::object{};
  }

  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an;
  sc::compliance_checker check;
};

pf::profile_ptr ovh() { return pf::find_builtin("ovhcloud"); }
pf::profile_ptr generic() { return pf::generic_profile(); }

using rules = std::vector<std::string>;

// ---- window ----

TEST(compliance_window, eleven_unanswered_submits_break_ovhcloud_window_of_10) {
  harness h(ovh());
  h.bound(1, t0);
  for (std::uint32_t i = 0; i < 10; ++i) h.send(e2s, t0 + sec + i * ms, submit(10 + i));
  EXPECT_EQ(h.total(), 0u);
  h.send(e2s, t0 + sec + 20 * ms, submit(30));
  EXPECT_EQ(h.last_lints(), rules{"window"});
  EXPECT_FALSE(h.alert("profile_window"));  // one breach is a lint, not yet an alert
  h.send(e2s, t0 + sec + 21 * ms, submit(31));
  h.send(e2s, t0 + sec + 22 * ms, submit(32));
  const auto a = h.alert("profile_window");
  ASSERT_TRUE(a);  // sustained: three within the window
  EXPECT_NE(a->extra_json.find("\"limit\":\"10\""), std::string::npos) << a->extra_json;
  EXPECT_NE(a->extra_json.find("\"measured\":\"13\""), std::string::npos) << a->extra_json;
  EXPECT_NE(a->message.find("ovhcloud: window 13 above the limit 10"), std::string::npos) << a->message;
  EXPECT_EQ(h.count("window"), 3u);
  const json::object s = h.summary();
  EXPECT_EQ(s.at("profile").as_string(), "ovhcloud");
  EXPECT_FALSE(s.at("compliant").as_bool());
  EXPECT_EQ(s.at("breaches").as_object().at("window").as_int64(), 3);
  // Clean for the quiet period: the alert clears.
  for (std::int64_t t = t0 + 2 * sec; t <= t0 + 40 * sec; t += 100 * ms) h.an.tick(t);
  EXPECT_FALSE(h.alert("profile_window"));
}

TEST(compliance_window, answered_submits_keep_the_window) {
  harness h(ovh());
  h.bound(1, t0);
  for (std::uint32_t round = 0; round < 5; ++round) {
    const std::int64_t t = t0 + sec + round * sec;
    for (std::uint32_t i = 0; i < 10; ++i) h.send(e2s, t + i * ms, submit(100 * round + i));
    for (std::uint32_t i = 0; i < 10; ++i) h.send(s2e, t + 50 * ms + i * ms, submit_resp(100 * round + i));
  }
  EXPECT_EQ(h.total(), 0u);
  EXPECT_TRUE(h.summary().at("compliant").as_bool());
}

// ---- rate ----

TEST(compliance_rate, twenty_one_submits_in_a_second_break_ovhcloud_rate) {
  harness h(ovh());
  h.bound(1, t0);
  for (std::uint32_t i = 0; i < 20; ++i) {
    h.send(e2s, t0 + sec + i * 40 * ms, submit(10 + i));
    h.send(s2e, t0 + sec + i * 40 * ms + ms, submit_resp(10 + i));
  }
  EXPECT_EQ(h.total(), 0u);
  h.send(e2s, t0 + sec + 20 * 40 * ms, submit(30));
  EXPECT_EQ(h.last_lints(), rules{"rate"});
  EXPECT_EQ(h.count("rate"), 1u);
  EXPECT_EQ(h.total(), 1u);
}

TEST(compliance_rate, twenty_per_second_for_five_seconds_keeps_it) {
  harness h(ovh());
  h.bound(1, t0);
  for (std::uint32_t i = 0; i < 100; ++i) {
    h.send(e2s, t0 + sec + i * 50 * ms, submit(10 + i));
    h.send(s2e, t0 + sec + i * 50 * ms + ms, submit_resp(10 + i));
  }
  EXPECT_EQ(h.total(), 0u);
}

// ---- unsupported PDU ----

TEST(compliance_pdu, query_sm_is_unsupported_at_ovhcloud_but_fine_in_the_spec) {
  const bytes q = sd::pdu_builder(cid::query_sm, 5).set("message_id", "m1").set("source_addr", "1234").bytes();
  harness h(ovh());
  h.bound(1, t0);
  h.send(e2s, t0 + sec, q);
  EXPECT_EQ(h.last_lints(), rules{"unsupported_pdu"});
  harness g(generic());
  g.bound(1, t0);
  g.send(e2s, t0 + sec, q);
  EXPECT_EQ(g.total(), 0u);
  EXPECT_TRUE(g.summary().at("compliant").as_bool());
  EXPECT_EQ(g.summary().at("profile").as_string(), "generic-3.4");
}

// ---- data_coding and GSM 7-bit packing ----

TEST(compliance_encoding, data_coding_3_is_unsupported_at_ovhcloud_8_is_fine) {
  harness h(ovh());
  h.bound(1, t0);
  h.send(e2s, t0 + sec, submit(5, {.text = "latin", .dc = 3}));
  EXPECT_EQ(h.last_lints(), rules{"data_coding"});
  h.send(e2s, t0 + sec + ms, submit(6, {.text = std::string("\0h\0i", 4), .dc = 8}));
  EXPECT_TRUE(h.last_lints().empty());
  EXPECT_EQ(h.total(), 1u);
}

TEST(compliance_encoding, packed_gsm7_breaks_an_unpacked_account_and_unpacked_keeps_it) {
  const std::string text = "Hello from the compliance test, this text is long enough";
  std::vector<std::uint8_t> septets(text.begin(), text.end());
  const auto packed = sd::gsm7_pack(septets);
  harness h(ovh());
  h.bound(1, t0);
  h.send(e2s, t0 + sec, submit(5, {.text = std::string(packed.begin(), packed.end())}));
  EXPECT_EQ(h.last_lints(), rules{"gsm7_packing"});
  h.send(e2s, t0 + sec + ms, submit(6, {.text = text}));
  EXPECT_TRUE(h.last_lints().empty());
  // A profile that expects packed text: the reverse.
  pf::provider_profile copy = *ovh();
  copy.name = "ovh-packed";
  copy.gsm7 = pf::gsm7_packing::packed;
  harness p(pf::finalize(std::move(copy)));
  p.bound(1, t0);
  p.send(e2s, t0 + sec, submit(5, {.text = text}));
  EXPECT_EQ(p.last_lints(), rules{"gsm7_packing"});
  p.send(e2s, t0 + sec + ms, submit(6, {.text = std::string(packed.begin(), packed.end())}));
  EXPECT_TRUE(p.last_lints().empty());
}

// ---- sm_length ----

TEST(compliance_sm_length, more_than_one_sms_and_odd_ucs2_break_it) {
  harness h(generic());
  h.bound(1, t0);
  h.send(e2s, t0 + sec, submit(5, {.text = std::string(141, 'a'), .dc = 4}));
  EXPECT_EQ(h.last_lints(), rules{"sm_length"});
  h.send(e2s, t0 + sec + ms, submit(6, {.text = std::string(140, 'a'), .dc = 4}));
  EXPECT_TRUE(h.last_lints().empty());
  h.send(e2s, t0 + sec + 2 * ms, submit(7, {.text = std::string("\0h\0", 3), .dc = 8}));
  EXPECT_EQ(h.last_lints(), rules{"sm_length"});
  // "Hi" in UCS2, the seed's example: 4 octets, sm_length 4.
  h.send(e2s, t0 + sec + 3 * ms, submit(8, {.text = std::string("\0H\0i", 4), .dc = 8}));
  EXPECT_TRUE(h.last_lints().empty());
  h.send(e2s, t0 + sec + 4 * ms, submit(9, {.text = "x", .tlvs = {{0x0424, "payload"}}}));
  EXPECT_EQ(h.last_lints(), rules{"sm_length"});
  EXPECT_EQ(h.count("sm_length"), 3u);
}

// ---- optional parameters ----

TEST(compliance_tlv, source_port_is_unsupported_at_ovhcloud_dest_addr_subunit_is_fine) {
  harness h(ovh());
  h.bound(1, t0);
  h.send(e2s, t0 + sec, submit(5, {.tlvs = {{0x020A, std::string("\x0B\xB8", 2)}}}));
  EXPECT_EQ(h.last_lints(), rules{"unsupported_tlv"});
  h.send(e2s, t0 + sec + ms, submit(6, {.tlvs = {{0x0005, std::string("\x01", 1)}}}));
  EXPECT_TRUE(h.last_lints().empty());
}

// ---- binds ----

TEST(compliance_bind, mensatek_is_transceiver_only) {
  harness h(pf::find_builtin("mensatek"));
  h.bound(1, t0, "user", cid::bind_transmitter);
  EXPECT_EQ(h.count("bind_type"), 1u);
  EXPECT_TRUE(h.alert("profile_bind_type"));
  harness k(pf::find_builtin("mensatek"));
  k.bound(1, t0, "user", cid::bind_transceiver);
  EXPECT_EQ(k.total(), 0u);
}

TEST(compliance_bind, interface_version_and_system_id_shape) {
  harness h(ovh());
  h.open(1, t0);
  h.send(e2s, t0 + ms, bind(1, "client1", cid::bind_transceiver, 0x33));
  rules got = h.last_lints();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (rules{"interface_version", "system_id"}));
  harness k(ovh());
  k.open(1, t0);
  k.send(e2s, t0 + ms, bind(1, "smpp-xyz", cid::bind_transceiver, 0x34));
  EXPECT_TRUE(k.last_lints().empty());
}

TEST(compliance_bind, two_transceivers_of_one_ovhcloud_account_are_too_many) {
  harness h(ovh());
  h.bound(1, t0);
  h.bound(2, t0 + sec);
  EXPECT_EQ(h.count("binds", 2), 2u);  // the second transceiver, and the pair weight 4 > 2
  EXPECT_EQ(h.last_lints(2), (rules{"binds", "binds"}));
  EXPECT_TRUE(h.alert("profile_binds", 2));
  EXPECT_EQ(h.total(1), 0u);
  // After the first one leaves, a new one fits.
  h.close(1, t0 + 2 * sec);
  h.close(2, t0 + 2 * sec);
  h.bound(3, t0 + 3 * sec);
  EXPECT_EQ(h.total(3), 0u);
}

TEST(compliance_bind, one_transmitter_and_one_receiver_keep_ovhcloud_limits) {
  harness h(ovh());
  h.bound(1, t0, "smpp-abc123", cid::bind_transmitter);
  h.bound(2, t0 + sec, "smpp-abc123", cid::bind_receiver);
  EXPECT_EQ(h.total(1) + h.total(2), 0u);
  h.bound(3, t0 + 2 * sec, "smpp-abc123", cid::bind_transceiver);  // the pair is used up
  EXPECT_EQ(h.count("binds", 3), 1u);
  h.bound(4, t0 + 3 * sec, "smpp-other1", cid::bind_transceiver);  // another account
  EXPECT_EQ(h.total(4), 0u);
}

TEST(compliance_bind, melrose_labs_allows_10_binds_per_host) {
  harness h(pf::find_builtin("melrose-labs"));
  for (std::uint64_t i = 1; i <= 10; ++i) h.bound(i, t0 + i * ms * 10, "acct" + std::to_string(i % 3));
  for (std::uint64_t i = 1; i <= 10; ++i) EXPECT_EQ(h.total(i), 0u) << i;
  h.bound(11, t0 + sec, "acct9");
  EXPECT_EQ(h.count("binds", 11), 1u);
  h.bound(12, t0 + sec, "acct9", cid::bind_transceiver, /*host=*/2);  // another host
  EXPECT_EQ(h.total(12), 0u);
}

TEST(compliance_bind, mensatek_one_session_per_server) {
  harness h(pf::find_builtin("mensatek"));
  h.bound(1, t0, "user");
  h.bound(2, t0 + sec, "user");
  EXPECT_EQ(h.count("binds", 2), 1u);
  EXPECT_EQ(h.total(1), 0u);
}

// ---- TLS ----

TEST(compliance_tls, tls_below_ovhcloud_minimum_and_plain_where_required) {
  harness h(ovh());
  h.open(1, t0, 1, true, "upstream_tls_version=TLSv1.2");
  EXPECT_EQ(h.count("tls"), 1u);
  ASSERT_TRUE(h.alert("profile_tls"));
  EXPECT_NE(h.alert("profile_tls")->extra_json.find("\"measured\":\"1.2\""), std::string::npos);
  h.send(e2s, t0 + ms, bind(1));
  EXPECT_EQ(h.last_lints(), rules{"tls"});  // shown on the session's first PDU
  h.open(2, t0, 1, true, "upstream_tls_version=TLSv1.3");
  h.open(3, t0, 1, false);  // OVHcloud keeps a clear-text port
  EXPECT_EQ(h.total(2) + h.total(3), 0u);

  pf::provider_profile copy = *ovh();
  copy.name = "tls-only";
  copy.tls.required = true;
  harness r(pf::finalize(std::move(copy)));
  r.open(1, t0, 1, false);
  EXPECT_EQ(r.count("tls"), 1u);
}

// ---- enquire_link ----

TEST(compliance_enquire_link, every_5_s_is_far_from_30_and_every_30_s_is_fine) {
  harness h(ovh());
  h.bound(1, t0);
  for (std::uint32_t i = 0; i < 3; ++i) h.send(e2s, t0 + sec + i * 5 * sec, simple(cid::enquire_link, 10 + i));
  EXPECT_EQ(h.last_lints(), rules{"enquire_link_interval"});
  EXPECT_EQ(h.count("enquire_link_interval"), 2u);

  harness k(ovh());
  k.bound(1, t0);
  for (std::uint32_t i = 0; i < 6; ++i) {
    const std::int64_t t = t0 + sec + i * 30 * sec;
    k.send(e2s, t, simple(cid::enquire_link, 10 + i));
    k.send(s2e, t + ms, simple(cid::enquire_link_resp, 10 + i));
    for (std::int64_t tt = t + 100 * ms; tt < t + 30 * sec; tt += sec) k.an.tick(tt);
  }
  EXPECT_EQ(k.total(), 0u);
}

TEST(compliance_enquire_link, a_bound_esme_silent_for_minutes_is_reported_once) {
  harness h(ovh());
  h.bound(1, t0);
  for (std::int64_t t = t0 + sec; t <= t0 + 70 * sec; t += sec) h.an.tick(t);
  EXPECT_EQ(h.count("enquire_link_interval"), 1u);  // after 60 s: twice the recommended 30 s
  EXPECT_TRUE(h.alert("profile_enquire_link_interval"));
  for (std::int64_t t = t0 + 71 * sec; t <= t0 + 200 * sec; t += sec) h.an.tick(t);
  EXPECT_EQ(h.count("enquire_link_interval"), 1u);  // one report per silence
}

// ---- forced unbind and reconnect ----

TEST(compliance_reconnect, no_bind_after_the_smsc_unbind_is_a_breach) {
  harness h(ovh());
  h.bound(1, t0);
  h.send(s2e, t0 + sec, simple(cid::unbind, 99));
  h.send(e2s, t0 + sec + ms, simple(cid::unbind_resp, 99));
  h.close(1, t0 + 2 * sec);
  for (std::int64_t t = t0 + 2 * sec; t <= t0 + 70 * sec; t += sec) h.an.tick(t);
  EXPECT_EQ(h.count("reconnect"), 1u);
  // The lint sits on the SMSC's unbind.
  const auto evs = h.ring.read_since(0, 100, [](const sc::event_info& i) { return i.type == sc::event_type::pdu; });
  bool on_unbind = false;
  for (const auto& e : evs)
    if (e.dir == s2e && h.lints_of(e) == rules{"reconnect"}) on_unbind = true;
  EXPECT_TRUE(on_unbind);
}

TEST(compliance_reconnect, binding_again_in_time_keeps_it) {
  harness h(ovh());
  h.bound(1, t0);
  h.send(s2e, t0 + sec, simple(cid::unbind, 99));
  h.send(e2s, t0 + sec + ms, simple(cid::unbind_resp, 99));
  h.close(1, t0 + 2 * sec);
  h.bound(2, t0 + 5 * sec);
  // Past the 60 s deadline (and short of session 2's own enquire_link gap).
  for (std::int64_t t = t0 + 2 * sec; t <= t0 + 63 * sec; t += sec) h.an.tick(t);
  EXPECT_EQ(h.total(1) + h.total(2), 0u);
}

// ---- explanations ----

TEST(compliance_explain, vendor_status_and_receipt_err_in_the_event_json) {
  harness h(ovh());
  h.bound(1, t0);
  h.send(e2s, t0 + sec, submit(5, {.text = "x", .dc = 3}));
  h.send(s2e, t0 + sec + ms, sd::pdu_builder(cid::submit_sm_resp, 5, 0x401).header_only().bytes());
  json::object e = h.last_event_json();
  EXPECT_EQ(e.at("status_name").as_string(), "ESME_RUNSDATACODING");
  EXPECT_EQ(e.at("status_meaning").as_string(), "Data Coding unsupported");
  const std::string text = "id:m1 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:UNDELIV err:053 text:x";
  h.send(s2e, t0 + 2 * sec,
         sd::pdu_builder(cid::deliver_sm, 7).set("esm_class", 4).short_message(view(text)).tlv(0x1401, view(std::string("o-1\0", 4))).bytes());
  e = h.last_event_json();
  EXPECT_EQ(e.at("receipt_err_meaning").as_string(), "Blacklisted");
  bool named = false;
  for (const auto& t : e.at("tlvs").as_array()) named |= t.as_object().at("name").as_string() == "outgoing_id";
  EXPECT_TRUE(named);
  // The same under the generic profile: raw, with a hint.
  harness g(generic());
  g.bound(1, t0);
  g.send(s2e, t0 + sec, sd::pdu_builder(cid::submit_sm_resp, 5, 0x401).header_only().bytes());
  e = g.last_event_json();
  EXPECT_EQ(e.at("status_name").as_string(), "");
  EXPECT_EQ(json::serialize(e.at("status_vendor_hint")), "[\"ovhcloud\"]");
}

TEST(compliance_select, a_profile_per_session_from_the_open_record) {
  sc::compliance_options o;
  o.select = [](const sc::tap_record& r) { return r.upstream.port == 2776 ? pf::find_builtin("mensatek") : nullptr; };
  harness h(ovh(), o);
  h.open(1, t0);
  h.open(2, t0, 1, false, {}, 2776);
  EXPECT_EQ(h.check.profile_of(1)->name, "ovhcloud");
  EXPECT_EQ(h.check.profile_of(2)->name, "mensatek");
  EXPECT_EQ(h.summary(2).at("profile").as_string(), "mensatek");
}

TEST(compliance_bounds, lints_are_kept_for_the_newest_events_only) {
  sc::compliance_options o;
  o.max_lint_events = 5;
  harness h(ovh(), o);
  h.bound(1, t0);
  const bytes q = sd::pdu_builder(cid::cancel_sm, 5).set("message_id", "m1").set("source_addr", "1").set("destination_addr", "2").bytes();
  for (int i = 0; i < 20; ++i) h.send(e2s, t0 + sec + i * sec, q);
  const auto evs = h.ring.read_since(0, 100, [](const sc::event_info& i) { return i.type == sc::event_type::pdu; });
  std::size_t with = 0;
  for (const auto& e : evs) with += !h.lints_of(e).empty();
  EXPECT_EQ(with, 5u);
  EXPECT_EQ(h.count("unsupported_pdu"), 20u);  // counts are not capped
}

}  // namespace
