// The stream tracker without a capture: TCP segments built here, tap records read back from the
// queue. Covers session boundaries, which side is the client, detection, holes and eviction.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "smppscope/sniff/sniffer.hpp"
#include "smppscope/sniff/stream_tracker.hpp"

namespace smppscope::sniff {
namespace {

using analysis::direction;
using analysis::record_kind;
using bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, ack = 0x10;

analysis::endpoint ep(std::uint8_t last, std::uint16_t port) {
  analysis::endpoint e;
  e.addr[0] = 10;
  e.addr[3] = last;
  e.port = port;
  return e;
}

void put32(bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(std::uint8_t(v >> s));
}

// An SMPP header and body; command_length filled in.
bytes smpp(std::uint32_t id, std::uint32_t seq, const bytes& body = {}) {
  bytes b;
  put32(b, std::uint32_t(16 + body.size()));
  put32(b, id);
  put32(b, 0);
  put32(b, seq);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

bytes bind_trx(const std::string& system_id) {
  bytes body(system_id.begin(), system_id.end());
  body.push_back(0);
  for (const char* s : {"pw", "", }) {
    body.insert(body.end(), s, s + std::strlen(s));
    body.push_back(0);
  }
  body.push_back(0x34);  // interface_version
  body.push_back(0);     // addr_ton
  body.push_back(0);     // addr_npi
  body.push_back(0);     // address_range ""
  return smpp(0x09, 1, body);
}

bytes bind_trx_resp() { return smpp(0x80000009, 1, {'s', 'm', 's', 'c', 0}); }
bytes enquire_link(std::uint32_t seq) { return smpp(0x15, seq); }
bytes enquire_link_resp(std::uint32_t seq) { return smpp(0x80000015, seq); }
bytes submit_sm_resp(std::uint32_t seq) { return smpp(0x80000004, seq, {'1', 0}); }

struct recorded {
  record_kind kind;
  direction dir;
  std::uint64_t session;
  bytes data;
  std::uint64_t lost_before;
  analysis::endpoint client, upstream, proxy_client_side, proxy_upstream_side;
};

// One TCP connection as seen on the wire: a (first sender) and b, each with its sequence number.
struct wire {
  analysis::endpoint a = ep(2, 40000), b = ep(1, 2775);
  std::uint32_t seq[2] = {1000, 5000};
  std::int64_t ts = 1'700'000'000'000'000;

  analysis::tcp_segment seg(int from, std::uint8_t flags, const bytes& payload = {}) {
    analysis::tcp_segment s;
    s.ts_us = ++ts;
    s.src = from == 0 ? a : b;
    s.dst = from == 0 ? b : a;
    s.seq = seq[from];
    s.flags = flags;
    s.payload = payload;
    seq[from] += std::uint32_t(payload.size()) + ((flags & (syn | fin)) ? 1 : 0);
    return s;
  }
};

class StreamTrackerTest : public ::testing::Test {
 protected:
  analysis::tap_queue queue{1u << 20};

  std::vector<recorded> drain() {
    std::vector<recorded> out;
    queue.drain([&](const analysis::tap_record& r) {
      out.push_back({r.kind, r.dir, r.session, bytes(r.bytes.begin(), r.bytes.end()), r.lost_before, r.client,
                     r.upstream, r.proxy_client_side, r.proxy_upstream_side});
    });
    return out;
  }
  // The payload pushed for one direction, concatenated.
  static bytes stream_of(const std::vector<recorded>& rs, direction d) {
    bytes b;
    for (const auto& r : rs)
      if (r.kind == record_kind::data && r.dir == d) b.insert(b.end(), r.data.begin(), r.data.end());
    return b;
  }
  static std::string text(const recorded& r) { return std::string(r.data.begin(), r.data.end()); }
};

bytes cat(std::initializer_list<bytes> parts) {
  bytes b;
  for (const auto& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

TEST_F(StreamTrackerTest, HandshakeBindAndCloseMakeOneSessionWithTheSynSenderAsClient) {
  stream_tracker t(queue);
  wire w;
  t.on_segment(w.seg(0, syn));
  t.on_segment(w.seg(1, syn | ack));
  t.on_segment(w.seg(0, ack));
  const bytes bind = bind_trx("esme1");
  t.on_segment(w.seg(0, ack, bind));
  t.on_segment(w.seg(1, ack, bind_trx_resp()));
  t.on_segment(w.seg(0, ack, enquire_link(2)));
  t.on_segment(w.seg(1, ack, enquire_link_resp(2)));
  t.on_segment(w.seg(0, fin | ack));
  t.on_segment(w.seg(1, fin | ack));

  const auto rs = drain();
  ASSERT_GE(rs.size(), 2u);
  EXPECT_EQ(rs.front().kind, record_kind::session_open);
  EXPECT_EQ(rs.front().client, w.a);
  EXPECT_EQ(rs.front().upstream, w.b);
  // No proxy on the wire: each leg's near end is the far peer.
  EXPECT_EQ(rs.front().proxy_client_side, w.b);
  EXPECT_EQ(rs.front().proxy_upstream_side, w.a);
  EXPECT_EQ(rs.back().kind, record_kind::session_close);
  EXPECT_EQ(text(rs.back()), "client closed");
  for (const auto& r : rs) EXPECT_EQ(r.session, rs.front().session);
  EXPECT_EQ(stream_of(rs, direction::esme_to_smsc), cat({bind, enquire_link(2)}));
  EXPECT_EQ(stream_of(rs, direction::smsc_to_esme), cat({bind_trx_resp(), enquire_link_resp(2)}));
  const auto st = t.stats();
  EXPECT_EQ(st.smpp_sessions, 1u);
  EXPECT_EQ(st.sessions_closed, 1u);
  EXPECT_EQ(st.tracked, 0u);
  // The last ACK after both FINs starts nothing that would wait for eviction.
  t.on_segment(w.seg(0, ack));
  t.expire(w.ts + 3600'000'000LL);
  EXPECT_EQ(t.stats().evicted_idle, 0u);
  EXPECT_TRUE(drain().empty());
}

TEST_F(StreamTrackerTest, AStreamOfAnotherProtocolIsIgnoredAndCostsNothingAfter) {
  stream_tracker t(queue);
  wire w;
  w.b.port = 80;
  t.on_segment(w.seg(0, syn));
  t.on_segment(w.seg(1, syn | ack));
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  t.on_segment(w.seg(0, ack, bytes(get.begin(), get.end())));
  // Later payload, even one that looks like SMPP, is dropped at the reassembler.
  t.on_segment(w.seg(1, ack, enquire_link(1)));
  t.on_segment(w.seg(0, ack, bind_trx("x")));
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(t.stats().ignored_streams, 1u);
  EXPECT_EQ(t.stats().smpp_sessions, 0u);
  t.on_segment(w.seg(0, rst));
  EXPECT_TRUE(drain().empty());
}

TEST_F(StreamTrackerTest, CmppOnAnyPortIsDetectedFromItsConnect) {
  stream_tracker t(queue);
  wire w;
  w.b.port = 7890;
  // CMPP_CONNECT: 12-octet header, Source_Addr (6), AuthenticatorSource (16), Version 0x20,
  // Timestamp 1206194700 (MMDDHHMMSS).
  bytes connect;
  put32(connect, 39);
  put32(connect, 0x00000001);
  put32(connect, 1);
  for (char c : std::string("901234")) connect.push_back(std::uint8_t(c));
  connect.insert(connect.end(), 16, 0xA5);
  connect.push_back(0x20);
  put32(connect, 1206194700u);
  t.on_segment(w.seg(0, syn));
  t.on_segment(w.seg(1, syn | ack));
  t.on_segment(w.seg(0, ack, connect));
  const auto rs = drain();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].kind, record_kind::session_open);
  EXPECT_EQ(rs[1].data, connect);
  EXPECT_EQ(t.stats().cmpp_sessions, 1u);
  EXPECT_EQ(t.stats().smpp_sessions, 0u);
}

TEST_F(StreamTrackerTest, JoinedMidStreamAResponseFirstMakesTheOtherSideTheClient) {
  stream_tracker t(queue);
  wire w;  // no handshake seen; the server (a here) speaks first
  w.a = ep(1, 2775);
  w.b = ep(2, 40000);
  t.on_segment(w.seg(0, ack, submit_sm_resp(7)));
  t.on_segment(w.seg(1, ack, enquire_link(8)));
  const auto rs = drain();
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].kind, record_kind::session_open);
  EXPECT_EQ(rs[0].client, w.b);
  EXPECT_EQ(rs[0].upstream, w.a);
  EXPECT_EQ(rs[1].dir, direction::smsc_to_esme);
  EXPECT_EQ(rs[2].dir, direction::esme_to_smsc);
}

TEST_F(StreamTrackerTest, JoinedMidPduDetectionWaitsForTheNextSegmentStart) {
  stream_tracker t(queue);
  wire w;
  const bytes tail = {0x00, 0x41, 0x42, 0x43, 0x00, 0x00, 0x00, 0x01, 0x99, 0x98};  // the end of some PDU
  t.on_segment(w.seg(0, ack, tail));
  EXPECT_TRUE(drain().empty());
  t.on_segment(w.seg(0, ack, enquire_link(3)));
  const auto rs = drain();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].kind, record_kind::session_open);
  EXPECT_EQ(rs[1].data, enquire_link(3));  // the fragment before it is not passed on
  EXPECT_EQ(rs[1].dir, direction::esme_to_smsc);
}

TEST_F(StreamTrackerTest, ABindSplitOverSegmentsIsHeldUntilWholeAndReplayedInOrder) {
  stream_tracker t(queue);
  wire w;
  t.on_segment(w.seg(0, syn));
  t.on_segment(w.seg(1, syn | ack));
  const bytes bind = bind_trx("split-esme");
  t.on_segment(w.seg(0, ack, bytes(bind.begin(), bind.begin() + 5)));
  t.on_segment(w.seg(0, ack, bytes(bind.begin() + 5, bind.begin() + 20)));
  EXPECT_TRUE(drain().empty());  // undecided: held
  t.on_segment(w.seg(0, ack, bytes(bind.begin() + 20, bind.end())));
  const auto rs = drain();
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[0].kind, record_kind::session_open);
  EXPECT_EQ(stream_of(rs, direction::esme_to_smsc), bind);
}

TEST_F(StreamTrackerTest, ALostSegmentBecomesLostBeforeOnceLossIsReported) {
  stream_tracker t(queue);
  wire w;
  t.on_segment(w.seg(0, syn));
  t.on_segment(w.seg(1, syn | ack));
  t.on_segment(w.seg(0, ack, bind_trx("gap")));
  drain();
  const bytes lost = enquire_link(2);
  w.seq[0] += std::uint32_t(lost.size());  // this segment never reaches the capture
  t.on_segment(w.seg(0, ack, enquire_link(3)));
  EXPECT_TRUE(drain().empty());  // held behind the hole, as a retransmission may fill it
  t.on_packets_lost();
  const auto rs = drain();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].data, enquire_link(3));
  EXPECT_EQ(rs[0].lost_before, lost.size());
  EXPECT_EQ(t.stats().gaps, 1u);
  EXPECT_EQ(t.stats().gap_octets, lost.size());
}

TEST_F(StreamTrackerTest, ResetClosesAtOnceNamingTheSide) {
  stream_tracker t(queue);
  wire w;
  t.on_segment(w.seg(0, syn));
  t.on_segment(w.seg(0, ack, enquire_link(1)));
  t.on_segment(w.seg(1, rst));
  const auto rs = drain();
  ASSERT_FALSE(rs.empty());
  EXPECT_EQ(rs.back().kind, record_kind::session_close);
  EXPECT_EQ(text(rs.back()), "upstream reset");
}

TEST_F(StreamTrackerTest, IdleAndSurplusConnectionsAreLetGoWithASessionClose) {
  tracker_options o;
  o.max_streams = 2;
  o.idle_timeout_us = 5'000'000;
  stream_tracker t(queue, o);
  std::vector<wire> ws(3);
  for (int i = 0; i < 3; ++i) {
    ws[i].a.port = std::uint16_t(40000 + i);
    ws[i].ts += i * 1000;
    t.on_segment(ws[i].seg(0, ack, enquire_link(1)));
  }
  auto rs = drain();
  int closes = 0;
  for (const auto& r : rs)
    if (r.kind == record_kind::session_close) {
      ++closes;
      EXPECT_EQ(text(r), "evicted: more than 2 connections tracked");
    }
  EXPECT_EQ(closes, 1);
  EXPECT_EQ(t.stats().evicted_limit, 1u);
  t.expire(ws[2].ts + 1'000'000);  // not idle long enough
  EXPECT_TRUE(drain().empty());
  t.expire(ws[2].ts + 6'000'000);
  rs = drain();
  ASSERT_EQ(rs.size(), 2u);
  for (const auto& r : rs) EXPECT_EQ(r.kind, record_kind::session_close);
  EXPECT_EQ(t.stats().evicted_idle, 2u);
  EXPECT_EQ(t.stats().tracked, 0u);
}

TEST(CaptureFilter, DefaultsToTcpAndNarrowsByPort) {
  EXPECT_EQ(capture_filter("", {}), "tcp");
  EXPECT_EQ(capture_filter("", {2775, 7890}), "tcp and (tcp port 2775 or tcp port 7890)");
  EXPECT_EQ(capture_filter("host 10.0.0.1", {}), "host 10.0.0.1");
  EXPECT_EQ(capture_filter("host 10.0.0.1", {2775}), "(host 10.0.0.1) and (tcp port 2775)");
}

}  // namespace
}  // namespace smppscope::sniff
