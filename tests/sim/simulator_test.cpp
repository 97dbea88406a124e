// The simulator over real loopback sockets: every request type gets the right response (decoded
// with our decoder), receipts and MO look right, and each fault mode does what it says.
#include <gtest/gtest.h>

#include <boost/asio/ssl.hpp>
#include <charconv>
#include <fstream>
#include <random>
#include <set>

#include "sim_test_util.hpp"
#include "smppscope/sim/detail/byte_buffer.hpp"
#include "smppscope/decoder/dlr.hpp"
#include "smppscope/decoder/text.hpp"
#include "smppscope/sim/dlr.hpp"

namespace smppscope::sim::test {
namespace {

constexpr std::uint32_t ok = 0x00, invcmdlen = 0x02, invcmdid = 0x03, invbndsts = 0x04, alybnd = 0x05, invmsgid = 0x0C,
                        invpaswd = 0x0E, invsysid = 0x0F, cancelfail = 0x11, replacefail = 0x13, invmsglen = 0x01,
                        throttled = 0x58;

std::uint32_t resp(command_id c) { return cid(c) | decoder::response_bit; }

// A view into r.frame: valid while r lives.
std::string_view short_message_text(const received& r) {
  const auto* f = r.p.field("short_message");
  return f ? f->text() : std::string_view();
}

TEST(Simulator, BindResponsesCarrySystemIdAndInterfaceVersion) {
  running_sim s;
  for (auto kind : {command_id::bind_transceiver, command_id::bind_transmitter, command_id::bind_receiver}) {
    smpp_client c(s.port());
    const auto r = c.bind(kind);
    ASSERT_FALSE(r.err) << r.err.message(r.p);
    EXPECT_EQ(r.id(), cid(kind) | decoder::response_bit);
    EXPECT_EQ(r.status(), ok);
    EXPECT_EQ(r.seq(), 1u);
    EXPECT_EQ(r.text("system_id"), "smppscope");
    const auto v = r.p.tlvs().find(decoder::tlv_tag::sc_interface_version);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->integer(), 0x34u);
  }
}

TEST(Simulator, SecondBindIsAlreadyBound) {
  running_sim s;
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  EXPECT_EQ(c.bind().status(), alybnd);
}

TEST(Simulator, CredentialsFileDecides) {
  simulator_options o;
  o.credentials = {{"alice", "pw1"}, {"bob", "pw2"}};
  running_sim s(o);
  {
    smpp_client c(s.port());
    EXPECT_EQ(c.bind(command_id::bind_transceiver, "mallory", "pw1").status(), invsysid);
    EXPECT_EQ(c.bind(command_id::bind_transceiver, "alice", "wrong").status(), invpaswd);
    EXPECT_EQ(c.bind(command_id::bind_transceiver, "alice", "pw1").status(), ok);
  }
  smpp_client c(s.port());
  EXPECT_EQ(c.bind(command_id::bind_transmitter, "bob", "pw2").status(), ok);
}

TEST(Simulator, SubmitBeforeBindIsInvalidBindStatus) {
  running_sim s;
  smpp_client c(s.port());
  c.send(submit(7));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::submit_sm));
  EXPECT_EQ(r->status(), invbndsts);
  EXPECT_EQ(r->seq(), 7u);
  // A receiver may not submit either.
  ASSERT_EQ(c.bind(command_id::bind_receiver).status(), ok);
  c.send(submit(8));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), invbndsts);
}

TEST(Simulator, SubmitSmRespHasUniqueMessageIds) {
  simulator_options o;
  o.window = 0;  // 50 at once
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  std::set<std::string> ids;
  for (std::uint32_t i = 0; i < 50; ++i) c.send(submit(100 + i));
  for (std::uint32_t i = 0; i < 50; ++i) {
    auto r = c.read();
    ASSERT_TRUE(r);
    ASSERT_FALSE(r->err) << r->err.message(r->p);
    EXPECT_EQ(r->id(), resp(command_id::submit_sm));
    EXPECT_EQ(r->status(), ok);
    EXPECT_EQ(r->seq(), 100 + i);  // answered in order
    const std::string id(r->text("message_id"));
    EXPECT_EQ(id.size(), 12u);
    EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
  }
  EXPECT_EQ(s.sim().stats().submits_ok, 50u);
}

TEST(Simulator, AnswersEveryRequestType) {
  running_sim s;
  smpp_client c(s.port());
  c.bind();

  c.send(submit(2));
  auto sr = c.read();
  ASSERT_TRUE(sr);
  const std::string id(sr->text("message_id"));

  // submit_multi: one SME and one distribution list; the list is reported unsuccessful.
  std::vector<std::uint8_t> dests;
  decoder::append_dest_address(dests, {1, 1, 1, "447700900001"});
  decoder::append_dest_address(dests, {2, 0, 0, "friends"});
  c.send(decoder::pdu_builder(command_id::submit_multi, 3)
             .set("source_addr", "12345")
             .set("number_of_dests", 2u)
             .set_bytes("dest_address", dests)
             .short_message(std::vector<std::uint8_t>{'H', 'i'}));
  auto r = c.read();
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->err) << r->err.message(r->p);
  EXPECT_EQ(r->id(), resp(command_id::submit_multi));
  EXPECT_EQ(r->seq(), 3u);
  EXPECT_EQ(r->text("message_id").size(), 12u);
  EXPECT_EQ(r->integer("no_unsuccess"), 1u);
  const auto uns = decoder::parse_unsuccess_list(r->p.field("unsuccess_sme")->bytes, 1);
  ASSERT_EQ(uns.size(), 1u);
  EXPECT_EQ(uns[0].address, "friends");
  EXPECT_EQ(uns[0].error_status, 0x34u);  // ESME_RINVDLNAME

  c.send(decoder::pdu_builder(command_id::data_sm, 4).set("source_addr", "1").set("destination_addr", "2"));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::data_sm));
  EXPECT_EQ(r->status(), ok);
  EXPECT_EQ(r->text("message_id").size(), 12u);

  c.send(decoder::pdu_builder(command_id::query_sm, 5).set("message_id", id).set("source_addr", "12345"));
  r = c.read();
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->err) << r->err.message(r->p);
  EXPECT_EQ(r->id(), resp(command_id::query_sm));
  EXPECT_EQ(r->status(), ok);
  EXPECT_EQ(r->text("message_id"), id);
  const std::uint32_t state = r->integer("message_state");
  EXPECT_TRUE(state == 2 || state == 3 || state == 5 || state == 8) << state;  // a final state of the mix

  c.send(decoder::pdu_builder(command_id::query_sm, 6).set("message_id", "nosuchid"));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), invmsgid);

  c.send(decoder::pdu_builder(command_id::cancel_sm, 7).set("message_id", id));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::cancel_sm));
  EXPECT_EQ(r->status(), ok);
  c.send(decoder::pdu_builder(command_id::cancel_sm, 8).set("message_id", "000000000000"));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), cancelfail);

  c.send(decoder::pdu_builder(command_id::replace_sm, 9).set("message_id", id).short_message(std::vector<std::uint8_t>{'x'}));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::replace_sm));
  EXPECT_EQ(r->status(), ok);
  c.send(decoder::pdu_builder(command_id::replace_sm, 10).set("message_id", "zz"));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), replacefail);

  c.send(decoder::pdu_builder(command_id::enquire_link, 11));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::enquire_link));
  EXPECT_EQ(r->frame.size(), 16u);
  EXPECT_EQ(r->seq(), 11u);

  // Unknown command id, and a command an SMSC does not take from an ESME.
  c.send(decoder::pdu_builder(0x00000200u, 12));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), cid(command_id::generic_nack));
  EXPECT_EQ(r->status(), invcmdid);
  EXPECT_EQ(r->seq(), 12u);
  c.send(decoder::pdu_builder(command_id::outbind, 13).set("system_id", "x"));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), cid(command_id::generic_nack));
  EXPECT_EQ(r->seq(), 13u);

  // The ESME's responses are taken silently: the next thing back answers the next request.
  c.send(decoder::pdu_builder(command_id::deliver_sm_resp, 900).set("message_id", ""));
  c.send(decoder::pdu_builder(command_id::enquire_link_resp, 901));
  c.send(decoder::pdu_builder(command_id::generic_nack, 902, 0x03));
  c.send(decoder::pdu_builder(command_id::enquire_link, 14));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::enquire_link));
  EXPECT_EQ(r->seq(), 14u);

  c.send(decoder::pdu_builder(command_id::unbind, 15));
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::unbind));
  EXPECT_EQ(r->seq(), 15u);
  EXPECT_TRUE(c.closed_within(2000ms));
}

TEST(Simulator, DeliveryReceiptFollowsAfterDelay) {
  simulator_options o;
  o.dlr_delay = 100ms;
  o.dlr_mix = {{dlr_state::delivrd, 0, 1}};
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  const auto t0 = std::chrono::steady_clock::now();
  c.send(submit(2, "Hello world, this is a test message", 1, "12345", "447700900999"));
  auto r = c.read();
  ASSERT_TRUE(r);
  const std::string id(r->text("message_id"));
  auto d = c.read(2000ms);
  ASSERT_TRUE(d);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 95ms);
  ASSERT_FALSE(d->err) << d->err.message(d->p);
  EXPECT_EQ(d->id(), cid(command_id::deliver_sm));
  EXPECT_EQ(d->integer("esm_class"), 0x04u);
  EXPECT_EQ(d->text("source_addr"), "447700900999");  // from the handset back to the ESME
  EXPECT_EQ(d->text("destination_addr"), "12345");
  EXPECT_EQ(d->integer("data_coding"), 0u);
  const std::string text(short_message_text(*d));
  const auto rf = decoder::parse_receipt_text(text);
  ASSERT_TRUE(rf) << text;
  EXPECT_EQ(rf->id, id);
  EXPECT_EQ(rf->stat, "DELIVRD");
  EXPECT_EQ(rf->sub, "001");
  EXPECT_EQ(rf->dlvrd, "001");
  EXPECT_EQ(rf->err, "000");
  EXPECT_EQ(rf->submit_date.size(), 10u);
  EXPECT_EQ(rf->done_date.size(), 10u);
  EXPECT_EQ(rf->text, "Hello world, this is");  // the first 20 characters
  EXPECT_NE(text.find(" sub:001 dlvrd:001 submit date:"), std::string::npos) << text;
  const auto rid = d->p.tlvs().find(decoder::tlv_tag::receipted_message_id);
  ASSERT_TRUE(rid);
  EXPECT_EQ(rid->text(), id);
  const auto ms = d->p.tlvs().find(decoder::tlv_tag::message_state);
  ASSERT_TRUE(ms);
  EXPECT_EQ(ms->integer(), 2u);  // DELIVERED
  EXPECT_FALSE(d->p.tlvs().find(decoder::tlv_tag::network_error_code));
  // No receipt without registered_delivery.
  c.send(submit(3, "x", 0));
  ASSERT_TRUE(c.read());
  EXPECT_FALSE(c.read(400ms));
}

TEST(Simulator, RegisteredDeliveryTwoOnlyOnFailure) {
  for (auto [state, want] : {std::pair{dlr_state::delivrd, false}, std::pair{dlr_state::undeliv, true}}) {
    simulator_options o;
    o.dlr_delay = 20ms;
    o.dlr_mix = {{state, 34, 1}};
    running_sim s(o);
    smpp_client c(s.port());
    c.bind();
    c.send(submit(2, "x", 2));
    ASSERT_TRUE(c.read());
    auto d = c.read(500ms);
    EXPECT_EQ(d.has_value(), want);
    if (d) {
      const auto rf = decoder::parse_receipt_text(short_message_text(*d));
      ASSERT_TRUE(rf);
      EXPECT_EQ(rf->stat, "UNDELIV");
      EXPECT_EQ(rf->err, "034");
      EXPECT_EQ(rf->dlvrd, "000");
      const auto nec = d->p.tlvs().find(decoder::tlv_tag::network_error_code);
      ASSERT_TRUE(nec);
      ASSERT_EQ(nec->value.size(), 3u);
      EXPECT_EQ(nec->value[0], 3);   // GSM
      EXPECT_EQ(nec->value[2], 34);
    }
  }
}

TEST(Simulator, DlrMixIsExactOverAFullCycle) {
  simulator_options o;
  o.dlr_delay = 1ms;
  o.window = 0;
  running_sim s(o);  // default mix DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2
  smpp_client c(s.port());
  c.bind();
  for (std::uint32_t i = 0; i < 100; ++i) c.send(submit(10 + i, "x", 1));
  std::map<std::string, int> states;
  int resps = 0, receipts = 0;
  while (resps < 100 || receipts < 100) {
    auto r = c.read(3000ms);
    ASSERT_TRUE(r) << resps << " responses, " << receipts << " receipts";
    if (r->id() == resp(command_id::submit_sm)) {
      ++resps;
    } else if (r->id() == cid(command_id::deliver_sm)) {
      ++receipts;
      const auto rf = decoder::parse_receipt_text(short_message_text(*r));
      ASSERT_TRUE(rf);
      ++states[std::string(rf->stat)];
    }
  }
  EXPECT_EQ(states["DELIVRD"], 90);
  EXPECT_EQ(states["UNDELIV"], 5);
  EXPECT_EQ(states["EXPIRED"], 3);
  EXPECT_EQ(states["REJECTD"], 2);
}

TEST(Simulator, TransmitterReceiptsGoToAReceiverOfTheSameSystemId) {
  simulator_options o;
  o.dlr_delay = 20ms;
  running_sim s(o);
  smpp_client other(s.port());
  ASSERT_EQ(other.bind(command_id::bind_receiver, "someone-else").status(), ok);
  smpp_client rx(s.port());
  ASSERT_EQ(rx.bind(command_id::bind_receiver, "acme").status(), ok);
  smpp_client tx(s.port());
  ASSERT_EQ(tx.bind(command_id::bind_transmitter, "acme").status(), ok);
  tx.send(submit(2, "to the receiver", 1));
  auto r = tx.read();
  ASSERT_TRUE(r);
  const std::string id(r->text("message_id"));
  auto d = rx.read(2000ms);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id(), cid(command_id::deliver_sm));
  EXPECT_EQ(d->p.tlvs().find(decoder::tlv_tag::receipted_message_id)->text(), id);
  EXPECT_FALSE(tx.read(200ms));     // a transmitter gets no deliver_sm
  EXPECT_FALSE(other.read(100ms));  // nor does another system_id
}

TEST(Simulator, ReceiptsWaitForAReceiverToBind) {
  simulator_options o;
  o.dlr_delay = 10ms;
  running_sim s(o);
  smpp_client tx(s.port());
  ASSERT_EQ(tx.bind(command_id::bind_transmitter, "late").status(), ok);
  tx.send(submit(2, "x", 1));
  ASSERT_TRUE(tx.read());
  std::this_thread::sleep_for(100ms);  // the receipt falls due with no receiver bound
  smpp_client rx(s.port());
  ASSERT_EQ(rx.bind(command_id::bind_receiver, "late").status(), ok);
  auto d = rx.read(2000ms);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->integer("esm_class"), 0x04u);
}

TEST(Simulator, MoMessagesReachReceivers) {
  simulator_options o;
  o.mo_rate = 20;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind(command_id::bind_receiver);
  int gsm7 = 0, ucs2 = 0;
  for (int i = 0; i < 5; ++i) {
    auto d = c.read(2000ms);
    ASSERT_TRUE(d);
    ASSERT_FALSE(d->err) << d->err.message(d->p);
    EXPECT_EQ(d->id(), cid(command_id::deliver_sm));
    EXPECT_EQ(d->integer("esm_class"), 0u);
    const auto* sm = d->p.field("short_message");
    ASSERT_TRUE(sm);
    const auto dc = d->integer("data_coding");
    const auto text = decoder::decode_text(sm->bytes, static_cast<std::uint8_t>(dc), {decoder::gsm7_packing::unpacked});
    EXPECT_FALSE(text.outside_alphabet);
    EXPECT_FALSE(text.utf8.empty());
    if (dc == 0) ++gsm7;
    if (dc == 8) ++ucs2;
  }
  EXPECT_GT(gsm7, 0);
  EXPECT_GT(ucs2, 0);
  // A transmitter gets no MO.
  smpp_client tx(s.port());
  tx.bind(command_id::bind_transmitter);
  EXPECT_FALSE(tx.read(300ms));
}

TEST(Simulator, SendsItsOwnEnquireLink) {
  simulator_options o;
  o.enquire_link_interval = std::chrono::seconds(1);
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  const auto t0 = std::chrono::steady_clock::now();
  auto e = c.read(2500ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id(), cid(command_id::enquire_link));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  c.send(decoder::pdu_builder(command_id::enquire_link_resp, e->seq()));
  c.send(decoder::pdu_builder(command_id::enquire_link, 50));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq(), 50u);
}

TEST(Simulator, WindowThrottlesRequestsBeyondIt) {
  simulator_options o;
  o.window = 5;
  o.latency = 200ms;  // responses stay unanswered long enough for the window to matter
  running_sim s(o);
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  for (std::uint32_t i = 0; i < 20; ++i) c.send(submit(10 + i));
  int oks = 0, throttles = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id(), resp(command_id::submit_sm));
    if (r->status() == ok) ++oks;
    if (r->status() == throttled) ++throttles;
  }
  EXPECT_EQ(oks, 5);
  EXPECT_EQ(throttles, 15);
}

TEST(Simulator, WindowDoesNotThrottleAClientThatKeepsIt) {
  simulator_options o;
  o.window = 5;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  std::uint32_t seq = 10;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 5; ++i) c.send(submit(seq++));
    for (int i = 0; i < 5; ++i) {
      auto r = c.read();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status(), ok);
    }
  }
  EXPECT_EQ(s.sim().stats().throttled, 0u);
}

TEST(Simulator, RateLimitThrottles) {
  simulator_options o;
  o.rate = 10;  // burst of 2
  o.window = 0;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  for (std::uint32_t i = 0; i < 10; ++i) c.send(submit(10 + i));
  int oks = 0, throttles = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = c.read();
    ASSERT_TRUE(r);
    (r->status() == ok ? oks : throttles)++;
  }
  EXPECT_EQ(oks, 2);
  EXPECT_EQ(throttles, 8);
  std::this_thread::sleep_for(250ms);  // tokens come back at 10/s
  c.send(submit(99));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), ok);
}

TEST(Simulator, LatencyDelaysResponses) {
  simulator_options o;
  o.latency = 300ms;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  const auto t0 = std::chrono::steady_clock::now();
  c.send(decoder::pdu_builder(command_id::enquire_link, 5));
  c.send(submit(6));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq(), 5u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 290ms);
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq(), 6u);
}

TEST(Simulator, StopSubmitAfter) {
  simulator_options o;
  o.stop_submit_after = 3;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  for (std::uint32_t i = 0; i < 6; ++i) c.send(submit(10 + i));
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->seq(), 10 + i);
  }
  c.send(decoder::pdu_builder(command_id::enquire_link, 77));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::enquire_link));  // still alive, but submits go unanswered
  EXPECT_FALSE(c.read(300ms));
}

TEST(Simulator, NoEnquireLinkResp) {
  simulator_options o;
  o.no_enquire_link_resp = true;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  c.send(decoder::pdu_builder(command_id::enquire_link, 5));
  c.send(submit(6));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::submit_sm));
  EXPECT_FALSE(c.read(300ms));
}

TEST(Simulator, ErrorRateAnswersThatShareWithTheStatus) {
  simulator_options o;
  o.error_rate = 0.25;
  o.error_status = throttled;
  o.window = 0;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  for (std::uint32_t i = 0; i < 100; ++i) c.send(submit(10 + i, "x", 1));
  int errors = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = c.read_until(resp(command_id::submit_sm));
    ASSERT_TRUE(r);
    if (r->status() == throttled) {
      ++errors;
      EXPECT_EQ(r->frame.size(), 16u);  // an error response without body
    }
  }
  EXPECT_EQ(errors, 25);
  EXPECT_EQ(s.sim().stats().errors_injected, 25u);
}

TEST(Simulator, DropAfterPdus) {
  simulator_options o;
  o.drop_after_pdus = 3;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  c.send(decoder::pdu_builder(command_id::enquire_link, 2));
  c.send(decoder::pdu_builder(command_id::enquire_link, 3));
  c.send(decoder::pdu_builder(command_id::enquire_link, 4));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq(), 2u);
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq(), 3u);  // the third PDU is answered, the fourth is not
  EXPECT_FALSE(c.read(1000ms));
  EXPECT_TRUE(c.closed_within(100ms));
}

TEST(Simulator, DropAfterEnquireLink) {
  simulator_options o;
  o.drop_after_enquire_link = true;
  running_sim s(o);
  smpp_client c(s.port());
  ASSERT_EQ(c.bind().status(), ok);
  c.send(decoder::pdu_builder(command_id::enquire_link, 2));
  EXPECT_FALSE(c.read(1000ms));
  EXPECT_TRUE(c.closed_within(100ms));
}

TEST(Simulator, DlrIdFormats) {
  for (auto fmt : {dlr_id_format::hex, dlr_id_format::decimal, dlr_id_format::mismatch}) {
    simulator_options o;
    o.dlr_delay = 5ms;
    o.dlr_ids = fmt;
    running_sim s(o);
    smpp_client c(s.port());
    c.bind();
    c.send(submit(2, "x", 1));
    auto r = c.read();
    ASSERT_TRUE(r);
    const std::string id(r->text("message_id"));
    std::uint64_t n = 0;
    std::from_chars(id.data(), id.data() + id.size(), n, 16);
    auto d = c.read();
    ASSERT_TRUE(d);
    const auto rf = decoder::parse_receipt_text(short_message_text(*d));
    ASSERT_TRUE(rf);
    const std::string tlv_id(d->p.tlvs().find(decoder::tlv_tag::receipted_message_id)->text());
    EXPECT_EQ(rf->id, tlv_id);
    if (fmt == dlr_id_format::hex) {
      EXPECT_EQ(rf->id, id);
    } else if (fmt == dlr_id_format::decimal) {
      EXPECT_EQ(rf->id, std::to_string(n));
    } else {
      EXPECT_NE(rf->id, id);
      EXPECT_NE(rf->id, std::to_string(n));
    }
  }
}

TEST(Simulator, Gsm7PackedReceiptText) {
  simulator_options o;
  o.dlr_delay = 5ms;
  o.gsm7 = decoder::gsm7_packing::packed;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  c.send(submit(2, "Packed please", 1));
  ASSERT_TRUE(c.read());
  auto d = c.read();
  ASSERT_TRUE(d);
  const auto* sm = d->p.field("short_message");
  ASSERT_TRUE(sm);
  EXPECT_FALSE(decoder::parse_receipt_text(sm->text()));  // not readable as unpacked text
  const auto text = decoder::decode_text(sm->bytes, 0, {decoder::gsm7_packing::packed});
  const auto rf = decoder::parse_receipt_text(text.utf8);
  ASSERT_TRUE(rf) << text.utf8;
  EXPECT_EQ(rf->text, "Packed please");
  EXPECT_LT(sm->bytes.size(), text.utf8.size());  // 7 bits per character
}

TEST(Simulator, FramingErrorIsNackedAndClosed) {
  running_sim s;
  smpp_client c(s.port());
  c.bind();
  c.send({0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x15, 0, 0, 0, 0, 0, 0, 0, 1});
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), cid(command_id::generic_nack));
  EXPECT_EQ(r->status(), invcmdlen);
  EXPECT_TRUE(c.closed_within(2000ms));
}

TEST(Simulator, BadBodyGetsAnErrorResponse) {
  running_sim s;
  smpp_client c(s.port());
  c.bind();
  auto bytes = submit(5, "Hello").bytes();
  // sm_length claims more octets than there are (SMPP v3.4 sections 5.2.21 and 5.3.2.32).
  bytes[bytes.size() - 6] = 200;
  c.send(bytes);
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id(), resp(command_id::submit_sm));
  EXPECT_EQ(r->status(), invmsglen);
  EXPECT_EQ(r->seq(), 5u);
  c.send(decoder::pdu_builder(command_id::enquire_link, 6));  // the session goes on
  r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq(), 6u);
}

TEST(Simulator, SurvivesGarbage) {
  simulator_options o;
  o.window = 0;
  running_sim s(o);
  smpp_client c(s.port());
  c.bind();
  std::mt19937 rng(7);
  // Every request the simulator knows except unbind (which would end the session), some it does
  // not, and responses.
  const std::uint32_t ids[] = {0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x09, 0x0B, 0x15, 0x21, 0x102, 0x103,
                               0x111, 0x112, 0x113, 0x80000004, 0x80000005, 0x12345678};
  bytes all;
  for (int i = 0; i < 3000; ++i) {
    const std::size_t body = rng() % 120;
    bytes pdu(16 + body);
    detail::put_be32(pdu.data(), static_cast<std::uint32_t>(pdu.size()));
    detail::put_be32(pdu.data() + 4, ids[rng() % std::size(ids)]);
    detail::put_be32(pdu.data() + 8, 0);
    detail::put_be32(pdu.data() + 12, 1000 + static_cast<std::uint32_t>(i));
    for (std::size_t k = 16; k < pdu.size(); ++k) pdu[k] = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0 : rng());
    all.insert(all.end(), pdu.begin(), pdu.end());
  }
  c.send(all);
  c.send(decoder::pdu_builder(command_id::enquire_link, 99));
  int answers = 0;
  for (;;) {  // every garbage request is answered, in order, before our enquire_link
    auto r = c.read(10000ms);
    ASSERT_TRUE(r) << "after " << answers << " answers";
    EXPECT_TRUE(decoder::is_response(r->id()) || r->id() == cid(command_id::deliver_sm)) << r->id();
    if (r->id() == resp(command_id::enquire_link) && r->seq() == 99) break;
    ++answers;
  }
  EXPECT_GT(answers, 2000);
}

TEST(Simulator, StalledSimulatorAnswersNothingUntilReleased) {
  running_sim s;
  smpp_client c(s.port());
  c.bind();
  s.sim().set_stalled(true);
  std::this_thread::sleep_for(100ms);  // let a pending read finish before the stall is observed
  c.send(decoder::pdu_builder(command_id::enquire_link, 2));
  EXPECT_FALSE(c.read(300ms));
  s.sim().set_stalled(false);
  auto r = c.read(1000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq(), 2u);
}

TEST(Simulator, TlsListener) {
  temp_cert cert;
  simulator_options o;
  o.tls = true;
  o.cert_file = cert.cert.string();
  o.key_file = cert.key.string();
  running_sim s(o);
  namespace ssl = boost::asio::ssl;
  boost::asio::io_context ctx;
  ssl::context tls(ssl::context::tls_client);
  tls.load_verify_file(cert.cert.string());
  tls.set_verify_mode(ssl::verify_peer);
  ssl::stream<boost::asio::ip::tcp::socket> stream(ctx, tls);
  stream.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), s.port()});
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  stream.handshake(ssl::stream_base::client);
  const auto bind = decoder::pdu_builder(command_id::bind_transceiver, 1).set("system_id", "tls").bytes();
  boost::asio::write(stream, boost::asio::buffer(bind));
  std::uint8_t buf[256];
  std::size_t got = 0;
  while (got < 16) got += stream.read_some(boost::asio::buffer(buf + got, sizeof buf - got));
  const auto h = decoder::read_header({buf, got});
  while (got < h.command_length) got += stream.read_some(boost::asio::buffer(buf + got, sizeof buf - got));
  EXPECT_EQ(h.command_id, resp(command_id::bind_transceiver));
  EXPECT_EQ(h.command_status, ok);
}

TEST(Simulator, BadCertificateIsAClearError) {
  simulator_options o;
  o.port = 0;
  o.tls = true;
  o.cert_file = "/nonexistent/cert.pem";
  o.key_file = "/nonexistent/key.pem";
  o.log = nullptr;
  simulator s(o);
  try {
    s.start();
    FAIL() << "start() accepted a missing certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--cert /nonexistent/cert.pem"), std::string::npos) << e.what();
  }
}

TEST(Simulator, PortInUseIsAClearError) {
  running_sim first;
  simulator_options o;
  o.port = first.port();
  o.log = nullptr;
  simulator s(o);
  try {
    s.start();
    FAIL() << "second listener on the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
        << e.what();
  }
}

TEST(Simulator, SeveralThreads) {
  simulator_options o;
  o.threads = 2;
  o.dlr_delay = 5ms;
  running_sim s(o);
  std::vector<std::unique_ptr<smpp_client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<smpp_client>(s.port()));
    ASSERT_EQ(clients.back()->bind(command_id::bind_transceiver, "mt").status(), ok);
  }
  for (auto& c : clients)
    for (std::uint32_t i = 0; i < 5; ++i) c->send(submit(10 + i, "x", 1));
  for (auto& c : clients) {
    int resps = 0, receipts = 0;
    while (resps < 5 || receipts < 5) {
      auto r = c->read();
      ASSERT_TRUE(r);
      if (r->id() == resp(command_id::submit_sm)) ++resps;
      if (r->id() == cid(command_id::deliver_sm)) ++receipts;
    }
  }
  EXPECT_EQ(s.sim().stats().dlrs_sent, 20u);
}

}  // namespace
}  // namespace smppscope::sim::test
