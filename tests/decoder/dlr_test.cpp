// Delivery receipts (SMPP v3.4 Appendix B) and message id matching.
#include "smppscope/decoder/dlr.hpp"

#include <gtest/gtest.h>

#include "sample_pdus.hpp"
#include "smppscope/decoder/message.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder {
namespace {

using test::as_bytes;
using test::from_hex;
using test::octets;

TEST(ReceiptText, VectorDeliverSmDlr) {
  const octets wire = test::vector_pdu("smpp_deliver_sm_dlr");
  pdu p;
  ASSERT_FALSE(decode(wire, p));
  const auto m = decode_message(p);
  ASSERT_TRUE(m);
  const auto r = parse_receipt(p, m->text.utf8);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has_text);
  EXPECT_EQ(r->id, "0123456789");
  EXPECT_EQ(r->sub, "001");
  EXPECT_EQ(r->dlvrd, "001");
  EXPECT_EQ(r->submit_date, "2311221345");
  EXPECT_EQ(r->done_date, "2311221346");
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_EQ(r->err, "000");
  EXPECT_EQ(r->text, "Hello");
  ASSERT_TRUE(r->submit_time);
  EXPECT_EQ(r->submit_time->year, 2023);
  EXPECT_EQ(r->submit_time->month, 11);
  EXPECT_EQ(r->submit_time->day, 22);
  EXPECT_EQ(r->submit_time->hour, 13);
  EXPECT_EQ(r->submit_time->minute, 45);
  EXPECT_FALSE(r->submit_time->has_seconds);
  ASSERT_TRUE(r->done_time);
  EXPECT_EQ(r->done_time->minute, 46);
  // TLVs: receipted_message_id 0123456789, message_state 2.
  EXPECT_EQ(r->receipted_message_id, "0123456789");
  EXPECT_EQ(r->message_state_tlv, 2);
  EXPECT_EQ(r->state(), 2);
  EXPECT_EQ(message_state_name(*r->state()), "DELIVERED");
  EXPECT_EQ(r->message_id(), "0123456789");
}

TEST(ReceiptText, UppercaseKeys) {
  const auto r = parse_receipt_text(
      "ID:A1B2 SUB:001 DLVRD:000 SUBMIT DATE:2311221345 DONE DATE:2311221350 STAT:UNDELIV ERR:005 TEXT:Hi there");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "A1B2");
  EXPECT_EQ(r->dlvrd, "000");
  EXPECT_EQ(r->stat, "UNDELIV");
  EXPECT_EQ(r->err, "005");
  EXPECT_EQ(r->text, "Hi there");
  EXPECT_EQ(r->state(), static_cast<std::uint8_t>(message_state::undeliverable));
  ASSERT_TRUE(r->done_time);
  EXPECT_EQ(r->done_time->minute, 50);
}

TEST(ReceiptText, ReorderedWithTwelveDigitDates) {
  const auto r = parse_receipt_text(
      "stat:EXPIRED err:001 Text:late id:77 done date:231122134512 submit date:231122134501 sub:001 dlvrd:000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "77");
  EXPECT_EQ(r->stat, "EXPIRED");
  EXPECT_EQ(r->text, "late");  // text: stops at the next key not yet seen
  EXPECT_EQ(r->sub, "001");
  ASSERT_TRUE(r->done_time);
  EXPECT_TRUE(r->done_time->has_seconds);
  EXPECT_EQ(r->done_time->second, 12);
  ASSERT_TRUE(r->submit_time);
  EXPECT_EQ(r->submit_time->second, 1);
  EXPECT_EQ(r->state(), static_cast<std::uint8_t>(message_state::expired));
}

TEST(ReceiptText, MissingFieldsAndUnderscoreKeys) {
  auto r = parse_receipt_text("id:123 stat:DELIVRD");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "123");
  EXPECT_TRUE(r->sub.empty());
  EXPECT_TRUE(r->text.empty());
  EXPECT_FALSE(r->submit_time);

  r = parse_receipt_text("id:9 submit_date:2311221345 done_date:2311221346 stat:ACCEPTD");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->submit_time);
  EXPECT_TRUE(r->done_time);
  EXPECT_EQ(r->state(), static_cast<std::uint8_t>(message_state::accepted));

  // An empty value followed directly by the next key.
  r = parse_receipt_text("id:5 err: text:abc def");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->err, "");
  EXPECT_EQ(r->text, "abc def");

  // A space after the colon is tolerated.
  r = parse_receipt_text("id: 42 stat: REJECTD");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "42");
  EXPECT_EQ(r->state(), static_cast<std::uint8_t>(message_state::rejected));
}

TEST(ReceiptText, TextMayContainKeyLikeWords) {
  using namespace std::literals;
  const auto r = parse_receipt_text("id:1 sub:001 dlvrd:001 stat:DELIVRD err:000 text:call id:me at home\0\0"sv);
  ASSERT_TRUE(r);
  // "id:" was seen already, so it is part of the text.
  EXPECT_EQ(r->text, "call id:me at home");
}

TEST(ReceiptText, BadDatesKeepTheRawValue) {
  const auto r = parse_receipt_text("id:1 submit date:2313221345 done date:23112213 stat:DELIVRD");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->submit_date, "2313221345");
  EXPECT_FALSE(r->submit_time);  // month 13
  EXPECT_EQ(r->done_date, "23112213");
  EXPECT_FALSE(r->done_time);  // 8 digits
  EXPECT_FALSE(parse_receipt_date("23112a1345"));
  EXPECT_FALSE(parse_receipt_date("2311223045"));  // hour 30
  EXPECT_TRUE(parse_receipt_date("9912312359"));
}

TEST(ReceiptText, GarbageIsNotAReceipt) {
  for (std::string_view s : {"", "hello world", "id:", "id:5", "stat:DELIVRD", "sub:001 dlvrd:001",
                             "valid:1 stated:2", "xid:1 xstat:DELIVRD", "\xFF\xFE\x00id", "id::::"}) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(parse_receipt_text(s));
  }
}

TEST(ReceiptStat, EveryStatMapsToItsState) {
  const std::pair<std::string_view, message_state> rows[] = {
      {"DELIVRD", message_state::delivered}, {"EXPIRED", message_state::expired},
      {"DELETED", message_state::deleted},   {"UNDELIV", message_state::undeliverable},
      {"ACCEPTD", message_state::accepted},  {"UNKNOWN", message_state::unknown},
      {"REJECTD", message_state::rejected},  {"ENROUTE", message_state::enroute},
      {"delivrd", message_state::delivered}, {"Undeliverable", message_state::undeliverable},
      {"SKIPPED", message_state::skipped},
  };
  for (const auto& [stat, state] : rows) EXPECT_EQ(message_state_from_stat(stat), state) << stat;
  EXPECT_FALSE(message_state_from_stat(""));
  EXPECT_FALSE(message_state_from_stat("DELIVR"));
  EXPECT_EQ(message_state_name(5), "UNDELIVERABLE");
  EXPECT_EQ(message_state_name(42), "");
}

// ---- writing: format_receipt, then parse_receipt_text reads back every field ----

// The receipt templates of the built-in provider profiles (profiles/*.toml, receipt.text) and
// variants a provider may use: keys reordered, underscore keys, a wider err, no text.
struct receipt_format {
  std::string_view name, tmpl;
  unsigned err_digits = 3;
  bool has_text = true;
};
constexpr receipt_format receipt_formats[] = {
    {"standard (no template)", {}},
    {"generic-3.4 / ovhcloud",
     "id:{id} sub:{sub} dlvrd:{dlvrd} submit date:{submit_date} done date:{done_date} stat:{stat} err:{err} text:{text}"},
    {"mensatek (no text)", "id:{id} sub:{sub} dlvrd:{dlvrd} submit date:{submit_date} done date:{done_date} stat:{stat} err:{err}",
     3, false},
    {"reordered, underscore keys, 5-digit err",
     "stat:{stat} err:{err} id:{id} submit_date:{submit_date} done_date:{done_date} sub:{sub} dlvrd:{dlvrd} text:{text}", 5},
};

TEST(ReceiptWriter, RoundTripsEveryStateInEveryProviderFormat) {
  char submit[10], done[10];
  format_receipt_date(1700660700, submit);  // 2023-11-22 13:45:00 UTC
  format_receipt_date(1700660760, done);
  EXPECT_EQ(std::string_view(submit, 10), "2311221345");
  for (const auto& f : receipt_formats) {
    for (std::uint8_t v = 0; v <= static_cast<std::uint8_t>(message_state::skipped); ++v) {
      const auto st = static_cast<message_state>(v);
      SCOPED_TRACE(std::string(f.name) + " / " + std::string(receipt_stat(st)));
      ASSERT_FALSE(receipt_stat(st).empty());  // 7 characters for the v3.4 Appendix B states
      receipt_fields r;
      r.id = "0A1B2C3D";
      r.sub = 1;
      r.dlvrd = st == message_state::delivered ? 1 : 0;
      r.submit_date = {submit, 10};
      r.done_date = {done, 10};
      r.stat = st;
      r.err = static_cast<std::uint16_t>(v * 11);
      r.text = "Hello world";
      char buf[200];
      const std::size_t n = f.tmpl.empty() ? format_receipt(buf, r) : format_receipt(buf, f.tmpl, r, f.err_digits);
      ASSERT_GT(n, 0u);
      const std::string text(buf, n);
      const auto p = parse_receipt_text(text);
      ASSERT_TRUE(p) << text;
      EXPECT_EQ(p->id, r.id) << text;
      EXPECT_EQ(p->sub, "001") << text;
      EXPECT_EQ(p->dlvrd, st == message_state::delivered ? "001" : "000") << text;
      EXPECT_EQ(p->submit_date, "2311221345") << text;
      EXPECT_EQ(p->done_date, "2311221346") << text;
      ASSERT_TRUE(p->submit_time && p->done_time);
      EXPECT_EQ(p->done_time->minute, 46);
      EXPECT_EQ(p->stat, receipt_stat(st)) << text;
      ASSERT_TRUE(p->state()) << text;
      EXPECT_EQ(*p->state(), v) << text;
      EXPECT_EQ(p->err.size(), f.err_digits) << text;
      EXPECT_EQ(std::stoi(std::string(p->err)), r.err) << text;
      EXPECT_EQ(p->text, f.has_text ? "Hello world" : "") << text;
      // Too small a buffer: nothing (never a cut receipt).
      EXPECT_EQ(f.tmpl.empty() ? format_receipt({buf, n - 1}, r) : format_receipt({buf, n - 1}, f.tmpl, r, f.err_digits), 0u);
    }
  }
}

TEST(ReceiptWriter, StandardLayoutAndUnknownTemplateKeys) {
  receipt_fields r;
  r.id = "42";
  r.submit_date = "2311221345";
  r.done_date = "2311221346";
  r.stat = message_state::undeliverable;
  r.err = 34;
  char buf[200];
  // Without text: the text: key is left out.
  EXPECT_EQ(std::string(buf, format_receipt(buf, r)),
            "id:42 sub:001 dlvrd:000 submit date:2311221345 done date:2311221346 stat:UNDELIV err:034");
  EXPECT_EQ(std::string(buf, format_receipt(buf, "{id}|{stat}|{nope}|{err", r)), "42|UNDELIV|{nope}|{err");
}

TEST(ReceiptTlvs, TlvsTakePrecedenceOverText) {
  const octets wire = pdu_builder(command_id::deliver_sm, 3)
                          .set("esm_class", 0x04u)
                          .short_message(as_bytes("id:111 sub:001 dlvrd:001 stat:DELIVRD err:000"))
                          .tlv_text(tlv_tag::receipted_message_id, "6F")
                          .tlv_int(tlv_tag::message_state, 5)
                          .tlv(tlv_tag::network_error_code, from_hex("030001"))
                          .bytes();
  pdu p;
  ASSERT_FALSE(decode(wire, p));
  const auto m = decode_message(p);  // the receipt's views point into m's text
  ASSERT_TRUE(m);
  const auto r = parse_receipt(p, m->text.utf8);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "111");
  EXPECT_EQ(r->message_id(), "6F");
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_EQ(r->state(), 5);
  ASSERT_TRUE(r->network_error_code);
  EXPECT_EQ(r->network_error_code->type, 3);
  EXPECT_EQ(r->network_error_code->code, 1);
}

TEST(ReceiptTlvs, TlvsAloneAndNonReceipts) {
  const octets tlv_only = pdu_builder(command_id::data_sm, 3)
                              .set("esm_class", 0x04u)
                              .tlv_text(tlv_tag::receipted_message_id, "abc")
                              .tlv_int(tlv_tag::message_state, 2)
                              .bytes();
  pdu p;
  ASSERT_FALSE(decode(tlv_only, p));
  auto r = parse_receipt(p, "");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_text);
  EXPECT_EQ(r->message_id(), "abc");
  EXPECT_EQ(r->state(), 2);

  // An ordinary MO deliver_sm is not a receipt.
  const octets mo = pdu_builder(command_id::deliver_sm, 4).short_message(as_bytes("see you at 5")).bytes();
  ASSERT_FALSE(decode(mo, p));
  EXPECT_FALSE(parse_receipt(p, "see you at 5"));

  // Receipt text in a submit_sm is not a receipt of that PDU.
  const octets sub = pdu_builder(command_id::submit_sm, 5).short_message(as_bytes("id:1 stat:DELIVRD")).bytes();
  ASSERT_FALSE(decode(sub, p));
  EXPECT_FALSE(parse_receipt(p, "id:1 stat:DELIVRD"));
}

TEST(MessageId, Normalise) {
  EXPECT_EQ(normalise_message_id("  00002587 "), "2587");
  EXPECT_EQ(normalise_message_id("0A1B"), "a1b");
  EXPECT_EQ(normalise_message_id("000"), "0");
  EXPECT_EQ(normalise_message_id(std::string_view("ABC\0", 4)), "abc");
  EXPECT_EQ(normalise_message_id(""), "");
  char buf[4];
  EXPECT_EQ(normalise_message_id("ABCDEFG", buf), "abcd");  // cut to the buffer
}

TEST(MessageId, Numbers) {
  auto v = message_id_numbers("0A1B");
  EXPECT_FALSE(v.decimal);
  EXPECT_EQ(v.hex, 0x0A1Bu);
  v = message_id_numbers("00002587");
  EXPECT_EQ(v.decimal, 2587u);
  EXPECT_EQ(v.hex, 0x2587u);
  v = message_id_numbers("msg-1");
  EXPECT_FALSE(v.decimal);
  EXPECT_FALSE(v.hex);
  v = message_id_numbers("123456789012345678901234567890");  // too big for 64 bits
  EXPECT_FALSE(v.decimal);
  EXPECT_FALSE(v.hex);
}

TEST(MessageId, MatchAcrossHexDecimalCaseAndPadding) {
  EXPECT_TRUE(message_ids_match("0A1B", "2587"));
  EXPECT_TRUE(message_ids_match("2587", "0a1b"));
  EXPECT_TRUE(message_ids_match("0A1B", "00002587"));
  EXPECT_TRUE(message_ids_match("abcDEF", "ABCdef"));
  EXPECT_TRUE(message_ids_match("00123", "123"));
  EXPECT_TRUE(message_ids_match("ff", "255"));
  EXPECT_FALSE(message_ids_match("0A1B", "2588"));
  EXPECT_FALSE(message_ids_match("xyz", "abc"));
  EXPECT_FALSE(message_ids_match("", ""));
  EXPECT_FALSE(message_ids_match("msg-1", "msg-2"));
}

}  // namespace
}  // namespace smppscope::decoder
