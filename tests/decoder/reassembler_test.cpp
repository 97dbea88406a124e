// Reassembly of concatenated messages (3GPP TS 23.040 section 9.2.3.24): order, duplicates, timeouts,
// bounds, and text that only decodes once the parts are joined.
#include "smppscope/decoder/reassembler.hpp"

#include <gtest/gtest.h>

#include "sample_pdus.hpp"

namespace smppscope::decoder {
namespace {

using test::as_bytes;
using test::from_hex;
using test::octets;

// A part as find_message() would describe it; `storage` owns the octets.
struct test_part {
  octets storage;
  message msg;
};

test_part make_part(octets text, std::uint16_t ref, std::uint8_t total, std::uint8_t seq, std::uint8_t dc = 0,
                    concat_source src = concat_source::udh_8bit, unsigned fill = 0) {
  test_part p{std::move(text), {}};
  p.msg.data_coding = dc;
  p.msg.text_octets = p.storage;
  p.msg.fill_bits = fill;
  p.msg.concat = concat_part{ref, total, seq, src};
  return p;
}

test_part text_part(std::string_view s, std::uint16_t ref, std::uint8_t total, std::uint8_t seq) {
  return make_part(octets(s.begin(), s.end()), ref, total, seq);
}

const part_key alice{1, 0, "1234", "5678"};

TEST(Reassembler, InOrder) {
  reassembler r;
  auto a = text_part("Hello ", 7, 3, 1), b = text_part("wide ", 7, 3, 2), c = text_part("world", 7, 3, 3);
  EXPECT_EQ(r.add(alice, a.msg, 100).status, part_status::pending);
  EXPECT_EQ(r.add(alice, b.msg, 200).status, part_status::pending);
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.buffered_bytes(), 11u);
  const auto res = r.add(alice, c.msg, 300);
  ASSERT_EQ(res.status, part_status::completed);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "Hello wide world");
  EXPECT_EQ(res.message->text.encoding, "gsm7");
  EXPECT_EQ(res.message->id.ref, 7);
  EXPECT_EQ(res.message->id.total, 3);
  EXPECT_EQ(res.message->id.source, "1234");
  EXPECT_EQ(res.message->id.destination, "5678");
  EXPECT_EQ(res.message->first_us, 100);
  EXPECT_EQ(res.message->last_us, 300);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
  EXPECT_EQ(r.completed(), 1u);
}

TEST(Reassembler, OutOfOrder) {
  reassembler r;
  auto a = text_part("one ", 9, 3, 1), b = text_part("two ", 9, 3, 2), c = text_part("three", 9, 3, 3);
  EXPECT_EQ(r.add(alice, c.msg, 1).status, part_status::pending);
  EXPECT_EQ(r.add(alice, a.msg, 2).status, part_status::pending);
  const auto res = r.add(alice, b.msg, 3);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "one two three");
}

TEST(Reassembler, DuplicatesAreIgnoredAndCounted) {
  reassembler r;
  auto a = text_part("AB", 1, 2, 1), a2 = text_part("XX", 1, 2, 1), b = text_part("CD", 1, 2, 2);
  EXPECT_EQ(r.add(alice, a.msg, 1).status, part_status::pending);
  EXPECT_EQ(r.add(alice, a2.msg, 2).status, part_status::duplicate);
  EXPECT_EQ(r.duplicates(), 1u);
  const auto res = r.add(alice, b.msg, 3);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "ABCD");  // the first copy is kept
}

TEST(Reassembler, MissingPartReportedAfterTimeout) {
  reassembler r(reassembler_limits{16, 1 << 20, 5'000'000});
  auto a = text_part("p1", 3, 4, 1), c = text_part("p3", 3, 4, 3);
  r.add(alice, a.msg, 1'000'000);
  r.add(alice, c.msg, 2'000'000);
  EXPECT_TRUE(r.expire(7'000'000).empty());  // exactly the timeout after the last part: not yet
  EXPECT_EQ(r.pending(), 1u);
  const auto gone = r.expire(7'000'001);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].missing, (std::vector<std::uint8_t>{2, 4}));
  EXPECT_EQ(gone[0].received, 2);
  EXPECT_EQ(gone[0].id.ref, 3);
  EXPECT_EQ(gone[0].id.total, 4);
  EXPECT_EQ(gone[0].first_us, 1'000'000);
  EXPECT_EQ(gone[0].last_us, 2'000'000);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.expired(), 1u);
  EXPECT_TRUE(r.expire(100'000'000).empty());
  // A late part starts over: it does not complete anything.
  auto b = text_part("p2", 3, 4, 2);
  EXPECT_EQ(r.add(alice, b.msg, 8'000'000).status, part_status::pending);
}

TEST(Reassembler, TimeoutCountsFromTheLastPart) {
  reassembler r(reassembler_limits{16, 1 << 20, 10});
  auto a = text_part("a", 1, 3, 1), b = text_part("b", 1, 3, 2), x = text_part("x", 2, 2, 1);
  r.add(alice, a.msg, 0);
  r.add(alice, x.msg, 0);
  r.add(alice, b.msg, 8);
  const auto gone = r.expire(15);  // message 2 idle 15 > 10, message 1 idle 7
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].id.ref, 2);
  EXPECT_EQ(r.pending(), 1u);
}

TEST(Reassembler, TakeSessionReturnsOnlyThatSessionsMessages) {
  reassembler r;
  const part_key bob{2, 1, "5678", "1234"};
  auto a = text_part("a", 1, 3, 1), c = text_part("c", 1, 3, 3), b = text_part("b", 9, 2, 2);
  r.add(alice, a.msg, 0);
  r.add(alice, c.msg, 1);
  r.add(bob, b.msg, 2);
  const auto gone = r.take_session(1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].id.ref, 1);
  EXPECT_EQ(gone[0].received, 2);
  EXPECT_EQ(gone[0].missing, std::vector<std::uint8_t>{2});
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_TRUE(r.take_session(1).empty());
  EXPECT_EQ(r.take_session(2).size(), 1u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(Reassembler, EvictsOldestBeyondMaxPending) {
  reassembler r(reassembler_limits{2, 1 << 20, 1'000'000});
  auto m1 = text_part("a", 1, 2, 1), m2 = text_part("b", 2, 2, 1), m3 = text_part("c", 3, 2, 1);
  r.add(alice, m1.msg, 1);
  r.add(alice, m2.msg, 2);
  r.add(alice, m3.msg, 3);
  EXPECT_EQ(r.pending(), 2u);
  EXPECT_EQ(r.evicted(), 1u);
  // Message 1 was evicted: its second part does not complete it; messages 2 and 3 still do.
  auto m1b = text_part("A", 1, 2, 2), m2b = text_part("B", 2, 2, 2), m3b = text_part("C", 3, 2, 2);
  EXPECT_EQ(r.add(alice, m1b.msg, 4).status, part_status::pending);  // evicts message 2 in turn
  EXPECT_EQ(r.evicted(), 2u);
  const auto res = r.add(alice, m3b.msg, 5);
  EXPECT_EQ(res.status, part_status::completed);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "cC");
  EXPECT_EQ(r.add(alice, m2b.msg, 6).status, part_status::pending);  // message 2 is gone too
  EXPECT_EQ(r.pending(), 2u);
}

TEST(Reassembler, EvictsBeyondMaxBytes) {
  reassembler r(reassembler_limits{100, 10, 1'000'000});
  auto m1 = text_part("123456", 1, 2, 1), m2 = text_part("abcdef", 2, 2, 1);
  r.add(alice, m1.msg, 1);
  EXPECT_EQ(r.buffered_bytes(), 6u);
  r.add(alice, m2.msg, 2);  // 12 > 10: the oldest (message 1) goes
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.buffered_bytes(), 6u);
  EXPECT_EQ(r.evicted(), 1u);
  auto big = text_part("0123456789ab", 3, 2, 1);  // alone over the bound
  r.add(alice, big.msg, 3);
  EXPECT_LE(r.buffered_bytes(), 10u);
}

TEST(Reassembler, KeysKeepSessionsDirectionsAndAddressesApart) {
  reassembler r;
  const part_key other_session{2, 0, "1234", "5678"};
  const part_key other_dir{1, 1, "1234", "5678"};
  const part_key other_dest{1, 0, "1234", "9999"};
  auto a = text_part("A", 5, 2, 1);
  r.add(alice, a.msg, 1);
  for (const part_key* k : {&other_session, &other_dir, &other_dest}) {
    auto b = text_part("B", 5, 2, 2);
    EXPECT_EQ(r.add(*k, b.msg, 2).status, part_status::pending);
  }
  EXPECT_EQ(r.pending(), 4u);
  // Same ref number, other numbering kind (16-bit / SAR): another message.
  auto wide = make_part(octets{'W'}, 5, 2, 2, 0, concat_source::udh_16bit);
  EXPECT_EQ(r.add(alice, wide.msg, 3).status, part_status::pending);
  auto sar = make_part(octets{'S'}, 5, 2, 2, 0, concat_source::sar);
  EXPECT_EQ(r.add(alice, sar.msg, 3).status, part_status::pending);
  auto b = text_part("B", 5, 2, 2);
  const auto res = r.add(alice, b.msg, 4);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "AB");
}

TEST(Reassembler, SinglePartAndNoConcat) {
  reassembler r;
  auto one = text_part("solo", 4, 1, 1);
  const auto res = r.add(alice, one.msg, 1);
  EXPECT_EQ(res.status, part_status::completed);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "solo");
  EXPECT_EQ(r.pending(), 0u);
  message plain;
  EXPECT_EQ(r.add(alice, plain, 1).status, part_status::not_concatenated);
}

TEST(Reassembler, ReusedRefWithOtherTotalReplacesTheOldMessage) {
  reassembler r;
  auto old1 = text_part("old", 8, 3, 1);
  r.add(alice, old1.msg, 1);
  auto n1 = text_part("new ", 8, 2, 1), n2 = text_part("one", 8, 2, 2);
  r.add(alice, n1.msg, 2);
  EXPECT_EQ(r.evicted(), 1u);
  const auto res = r.add(alice, n2.msg, 3);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "new one");
}

TEST(Reassembler, Ucs2SurrogatePairSplitAcrossParts) {
  reassembler r;
  // "A😀B": 0041 D83D | DE00 0042
  auto a = make_part(from_hex("0041d83d"), 1, 2, 1, 8), b = make_part(from_hex("de000042"), 1, 2, 2, 8);
  r.add(alice, a.msg, 1);
  const auto res = r.add(alice, b.msg, 2);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "A\U0001F600B");
  EXPECT_EQ(res.message->text.encoding, "ucs2");
  EXPECT_FALSE(res.message->text.outside_alphabet);
}

TEST(Reassembler, PackedGsm7PartsWithFillBitsAndSplitEscape) {
  // Part 1 ends with ESC, part 2 starts with 0x65: together a euro sign. Each part is packed after
  // a 6-octet UDH (1 fill bit), as a real concatenated SMS.
  octets s1 = *utf8_to_gsm7("Price: 5 ");
  s1.push_back(0x1B);
  octets s2 = {0x65};
  const octets rest = *utf8_to_gsm7(" only, thanks");
  s2.insert(s2.end(), rest.begin(), rest.end());
  reassembler r;
  auto a = make_part(gsm7_pack(s1, 1), 42, 2, 1, 0, concat_source::udh_8bit, 1);
  auto b = make_part(gsm7_pack(s2, 1), 42, 2, 2, 0, concat_source::udh_8bit, 1);
  r.add(alice, b.msg, 1);
  const auto res = r.add(alice, a.msg, 2);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->text.utf8, "Price: 5 \u20AC only, thanks");
  EXPECT_EQ(res.message->text.encoding, "gsm7-packed");
  EXPECT_FALSE(res.message->text.outside_alphabet);

  // The per-session override decides when given.
  reassembler forced;
  forced.add(alice, a.msg, 1);
  const auto unpacked = forced.add(alice, b.msg, 2, {gsm7_packing::unpacked});
  ASSERT_TRUE(unpacked.message);
  EXPECT_EQ(unpacked.message->text.encoding, "gsm7");
}

TEST(Reassembler, FromRealPdusWithSar) {
  reassembler r;
  std::string joined;
  std::optional<reassembler::add_result> last;
  for (std::uint8_t seq : {2, 1}) {
    const octets wire = pdu_builder(command_id::submit_sm, seq)
                            .set("source_addr", "1234")
                            .set("destination_addr", "5678")
                            .short_message(as_bytes(seq == 1 ? "first half, " : "second half"))
                            .tlv_int(tlv_tag::sar_msg_ref_num, 300)
                            .tlv_int(tlv_tag::sar_total_segments, 2)
                            .tlv_int(tlv_tag::sar_segment_seqnum, seq)
                            .bytes();
    pdu p;
    ASSERT_FALSE(decode(wire, p));
    const auto m = find_message(p);
    ASSERT_TRUE(m);
    last = r.add({9, 0, m->source_addr, m->destination_addr}, *m, seq);
  }  // the wire bytes are gone: the reassembler kept its own copy
  ASSERT_TRUE(last && last->message);
  EXPECT_EQ(last->message->text.utf8, "first half, second half");
  EXPECT_EQ(last->message->id.numbering, concat_source::sar);
  EXPECT_EQ(last->message->id.ref, 300);
}

}  // namespace
}  // namespace smppscope::decoder
