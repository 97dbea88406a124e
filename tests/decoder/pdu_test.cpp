// decode(): errors that name field and offset, lints, unknowns kept raw, header-only responses,
// truncation at every length, no heap allocation; pdu_builder and the model helpers.
#include "smppscope/decoder/pdu.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "sample_pdus.hpp"
#include "vector_pcap.hpp"

// Counts heap allocations made on this thread while `counting` is set (decode must make none).
namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace
[[gnu::noinline]] void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace smppscope::decoder {
namespace {

using test::from_hex;
using test::octets;
using test::to_hex;

// submit_sm whose 12-digit source_addr puts destination_addr at offset 34.
octets submit_sm_with(std::string_view dest, std::uint8_t esm = 0, std::string_view sm_hex = "4869") {
  return pdu_builder(command_id::submit_sm, 1)
      .set("source_addr_ton", 1u)
      .set("source_addr", "336000000012")
      .set("destination_addr", dest)
      .set("esm_class", esm)
      .short_message(from_hex(sm_hex))
      .bytes();
}

void patch_length(octets& w) {
  const auto n = static_cast<std::uint32_t>(w.size());
  w[0] = static_cast<std::uint8_t>(n >> 24);
  w[1] = static_cast<std::uint8_t>(n >> 16);
  w[2] = static_cast<std::uint8_t>(n >> 8);
  w[3] = static_cast<std::uint8_t>(n);
}

TEST(decode, c_string_too_long_names_field_and_offset) {
  const octets w = submit_sm_with(std::string(21, '9'));  // 21 characters + NUL = 22 > 21
  pdu p;
  const decode_error e = decode(w, p);
  ASSERT_EQ(e.code, decode_errc::c_string_too_long);
  EXPECT_EQ(e.field, "destination_addr");
  EXPECT_EQ(e.offset, 34u);
  EXPECT_EQ(e.message(p), "submit_sm: destination_addr: C-Octet String exceeds 21 octets at offset 34");
  // the header and the fields before the break are kept
  EXPECT_EQ(p.hdr.command_id, 4u);
  EXPECT_EQ(p.field_count, 6);
  EXPECT_EQ(p.field("source_addr")->text(), "336000000012");
  EXPECT_EQ(p.field("dest_addr_npi")->integer, 0u);
  EXPECT_EQ(p.field("destination_addr"), nullptr);
  // 20 characters + NUL fit exactly
  EXPECT_FALSE(decode(submit_sm_with(std::string(20, '9')), p));
}

TEST(decode, header_only_error_response_is_valid) {
  const octets w = from_hex("00000010 80000004 00000045 00000003");
  pdu p;
  EXPECT_FALSE(decode(w, p));
  EXPECT_EQ(p.field_count, 0);
  EXPECT_EQ(p.name(), "submit_sm_resp");
  EXPECT_FALSE(p.message_id());
  EXPECT_EQ(status_name(p.hdr.command_status), "ESME_RSUBMITFAIL");
}

TEST(decode, header_only_ok_response_misses_its_body) {
  const octets w = from_hex("00000010 80000004 00000000 00000003");
  pdu p;
  const decode_error e = decode(w, p);
  EXPECT_EQ(e.code, decode_errc::truncated_field);
  EXPECT_EQ(e.field, "message_id");
  EXPECT_EQ(e.offset, 16u);
  EXPECT_EQ(e.message(p), "submit_sm_resp: message_id: truncated, the PDU ends before 1 octet at offset 16");
}

TEST(decode, unknown_command_id_keeps_raw_body) {
  const octets w = from_hex("00000013 01000001 00000000 00000005 616263");
  pdu p;
  EXPECT_FALSE(decode(w, p));
  EXPECT_EQ(p.spec, nullptr);
  EXPECT_EQ(p.name(), "unknown");
  EXPECT_EQ(to_hex(p.body), "616263");
  EXPECT_EQ(p.field_count, 0);
  EXPECT_EQ(encode(p), w);
}

TEST(decode, unknown_tlv_tags_are_kept_raw) {
  const octets w = pdu_builder(command_id::deliver_sm, 2).tlv(0x3FFF, from_hex("0102")).tlv(0x0427, from_hex("02")).bytes();
  pdu p;
  ASSERT_FALSE(decode(w, p));
  EXPECT_EQ(p.lints, 0);
  auto it = p.tlvs().begin();
  ASSERT_NE(it, p.tlvs().end());
  EXPECT_EQ(it->tag, 0x3FFF);
  EXPECT_EQ(it->spec(), nullptr);
  EXPECT_EQ(to_hex(it->value), "0102");
  EXPECT_FALSE(it->integer());
  ++it;
  EXPECT_EQ(it->tag, 0x0427);
  EXPECT_EQ(it->integer(), 2u);
  ++it;
  EXPECT_EQ(it, p.tlvs().end());
}

TEST(decode, tlvs_are_stepped_by_their_length_field) {
  // broadcast_rep_num with 2 octets (SMPP v3.4 section 5.3), then an int1 TLV given 3 octets, then one more.
  const octets w = pdu_builder(command_id::broadcast_sm, 2)
                       .tlv(0x0604, from_hex("0003"))
                       .tlv(0x0427, from_hex("010203"))
                       .tlv(0x0424, from_hex("4869"))
                       .bytes();
  pdu p;
  ASSERT_FALSE(decode(w, p));
  std::vector<std::uint16_t> tags;
  for (const tlv& t : p.tlvs()) tags.push_back(t.tag);
  EXPECT_EQ(tags, (std::vector<std::uint16_t>{0x0604, 0x0427, 0x0424}));
  EXPECT_TRUE(p.has_lint(lint::tlv_length_mismatch));  // message_state is 1 octet
  EXPECT_FALSE(p.has_lint(lint::tlv_truncated));
  EXPECT_EQ(p.tlvs().find(0x0604)->integer(), 3u);
  EXPECT_EQ(to_hex(p.payload()), "4869");
}

TEST(decode, truncated_tlv_region_is_a_lint) {
  for (std::string_view tail : {"04", "0424", "042400", "04240005", "0424000548"}) {
    SCOPED_TRACE(std::string(tail));
    octets w = pdu_builder(command_id::data_sm, 2).tlv(0x0427, from_hex("02")).bytes();
    const octets t = from_hex(tail);
    w.insert(w.end(), t.begin(), t.end());
    patch_length(w);
    pdu p;
    ASSERT_FALSE(decode(w, p));
    EXPECT_TRUE(p.has_lint(lint::tlv_truncated));
    int n = 0;
    for (const tlv& x : p.tlvs()) {
      EXPECT_EQ(x.tag, 0x0427);
      ++n;
    }
    EXPECT_EQ(n, 1);
  }
}

TEST(decode, c_string_without_nul_at_end_is_accepted_with_a_lint) {
  const octets w = from_hex("00000013 80000004 00000000 00000001 616263");
  pdu p;
  ASSERT_FALSE(decode(w, p));
  EXPECT_EQ(p.message_id(), "abc");
  EXPECT_TRUE(p.has_lint(lint::c_string_without_nul));
  // a missing NUL in the middle of the body breaks the next field instead
  const octets w2 = from_hex("00000014 00000002 00000000 00000001 61626364");
  const decode_error e = decode(w2, p);
  EXPECT_EQ(e.code, decode_errc::truncated_field);
  EXPECT_EQ(e.field, "password");
  EXPECT_EQ(e.offset, 20u);
  EXPECT_EQ(p.field("system_id")->text(), "abcd");
}

TEST(decode, time_fields_are_1_13_or_17_octets) {
  octets w = pdu_builder(command_id::submit_sm, 1).set("schedule_delivery_time", "2311").bytes();
  pdu p;
  decode_error e = decode(w, p);
  EXPECT_EQ(e.code, decode_errc::bad_time_length);
  EXPECT_EQ(e.field, "schedule_delivery_time");
  EXPECT_EQ(e.offset, 16u + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 3);
  EXPECT_EQ(e.detail, 5u);
  EXPECT_NE(e.message(p).find("time must be 1, 13 or 17 octets, found 5 at offset 26"), std::string::npos) << e.message(p);
  // SMPP v3.4 section 7.1.1: absolute and relative ('R') times are 16 characters; an MC may report
  // the 12-character YYMMDDhhmmss form. Neither 11 nor 13 characters is a time.
  for (const std::string t : {"231122134530004+", "000001000000000R", "231122134530"}) {
    w = pdu_builder(command_id::submit_sm, 1).set("validity_period", t).short_message(from_hex("4869")).bytes();
    ASSERT_FALSE(decode(w, p)) << t;
    EXPECT_EQ(p.field("validity_period")->text(), t);
    EXPECT_EQ(p.field("sm_length")->integer, 2u);
  }
  w = pdu_builder(command_id::query_sm_resp, 1).set("message_id", "1").set("final_date", "231122134530").bytes();
  ASSERT_FALSE(decode(w, p));
  EXPECT_EQ(p.field("final_date")->text(), "231122134530");
  for (const std::string t : {"23112213453", "2311221345300"}) {
    w = pdu_builder(command_id::submit_sm, 1).set("validity_period", t).bytes();
    EXPECT_EQ(decode(w, p).code, decode_errc::bad_time_length) << t;
  }
  w = pdu_builder(command_id::submit_sm, 1).set("validity_period", std::string(17, '1')).bytes();
  e = decode(w, p);
  EXPECT_EQ(e.code, decode_errc::c_string_too_long);
  EXPECT_EQ(e.field, "validity_period");
}

TEST(decode, sm_length_overrun_keeps_the_fields_before) {
  octets w = submit_sm_with("5678", 0, "48656c6c6f");
  // sm_length is the octet before the 5 octets of text
  w[w.size() - 6] = 200;
  pdu p;
  const decode_error e = decode(w, p);
  ASSERT_EQ(e.code, decode_errc::sm_length_overrun);
  EXPECT_EQ(e.field, "short_message");
  EXPECT_EQ(e.offset, w.size() - 5);
  EXPECT_EQ(e.message(p), "submit_sm: short_message: sm_length 200 exceeds the 5 octets left at offset " +
                              std::to_string(w.size() - 5));
  EXPECT_TRUE(p.has_lint(lint::sm_length_mismatch));
  EXPECT_EQ(p.field_count, 17);
  EXPECT_EQ(p.field("sm_length")->integer, 200u);
  EXPECT_EQ(p.data_coding(), 0);
  EXPECT_TRUE(p.short_message().empty());
}

TEST(decode, sm_length_too_small_leaves_octets_that_are_no_tlvs) {
  octets w = submit_sm_with("5678", 0, "48656c6c6f");
  w[w.size() - 6] = 2;  // "He", then "llo" read as a TLV header
  pdu p;
  ASSERT_FALSE(decode(w, p));
  EXPECT_TRUE(p.has_lint(lint::sm_length_mismatch));
  EXPECT_TRUE(p.has_lint(lint::tlv_truncated));
}

TEST(decode, bad_dest_flag_names_the_entry) {
  octets dests;
  append_dest_address(dests, {1, 1, 1, "111"});
  append_dest_address(dests, {3, 1, 1, "222"});
  const octets w = pdu_builder(command_id::submit_multi, 1).set("source_addr", "1").set_bytes("dest_address", dests).bytes();
  pdu p;
  const decode_error e = decode(w, p);
  ASSERT_EQ(e.code, decode_errc::bad_dest_flag);
  EXPECT_EQ(e.field, "dest_address");
  // service_type NUL, ton, npi, "1" NUL, number_of_dests, then 1+2+4 for the first entry
  EXPECT_EQ(e.offset, 16u + 1 + 2 + 2 + 1 + 7);
  EXPECT_EQ(e.detail, 3u);
  EXPECT_EQ(e.message(p), "submit_multi: dest_address: dest_flag 3 is neither 1 (SME address) nor 2 (distribution list) at offset 29");
  EXPECT_EQ(p.field("number_of_dests")->integer, 2u);
}

TEST(decode, sm_and_payload_together_is_a_lint) {
  const octets w = pdu_builder(command_id::submit_sm, 1).short_message(from_hex("4869")).tlv(0x0424, from_hex("4869")).bytes();
  pdu p;
  ASSERT_FALSE(decode(w, p));
  EXPECT_TRUE(p.has_lint(lint::sm_and_payload));
  EXPECT_EQ(to_hex(p.payload()), "4869");
}

TEST(decode, udhi_needs_a_valid_udh) {
  struct {
    std::string_view sm;
    bool lint;
  } cases[] = {
      {"050003a50201 0048", false},  // 8-bit concat
      {"0608 04beef0201 48", false},  // 16-bit concat
      {"00 48", false},              // UDHL 0: empty UDH
      {"", true},                    // no user data at all
      {"05 0003a502", true},         // UDHL larger than the data
      {"05 0004a50201 48", true},    // IE runs past UDHL
      {"05 000201 0001 48", true},   // IEs do not fill UDHL exactly (last IE header only)
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.sm));
    pdu p;
    const octets w = submit_sm_with("5678", 0x40, c.sm);
    ASSERT_FALSE(decode(w, p));
    EXPECT_EQ(p.has_lint(lint::udhi_without_udh), c.lint);
    // the same without UDHI is never flagged
    const octets plain = submit_sm_with("5678", 0x00, c.sm);
    ASSERT_FALSE(decode(plain, p));
    EXPECT_FALSE(p.has_lint(lint::udhi_without_udh));
  }
  // data_sm: the UDH is in message_payload
  pdu p;
  ASSERT_FALSE(decode(pdu_builder(command_id::data_sm, 1).set("esm_class", 0x40u).tlv(0x0424, from_hex("050003a5020148")).bytes(), p));
  EXPECT_FALSE(p.has_lint(lint::udhi_without_udh));
  ASSERT_FALSE(decode(pdu_builder(command_id::data_sm, 1).set("esm_class", 0x40u).tlv(0x0424, from_hex("0900")).bytes(), p));
  EXPECT_TRUE(p.has_lint(lint::udhi_without_udh));
}

TEST(decode, extra_octets_on_a_pdu_without_tlvs_are_a_lint) {
  pdu p;
  octets w = from_hex("00000015 00000015 00000000 00000001 0427000102");
  ASSERT_FALSE(decode(w, p));
  EXPECT_TRUE(p.has_lint(lint::tlvs_in_v33_pdu));
  ASSERT_TRUE(p.tlvs().find(0x0427));
  EXPECT_EQ(p.tlvs().find(0x0427)->integer(), 2u);
  EXPECT_EQ(encode(p), w);
  w = pdu_builder(0x00000022, 1).set("param_name", "x").tlv(0x0427, from_hex("01")).bytes();  // v3.3 param_retrieve
  ASSERT_FALSE(decode(w, p));
  EXPECT_TRUE(p.has_lint(lint::tlvs_in_v33_pdu));
  w = pdu_builder(command_id::submit_sm, 1).tlv(0x0427, from_hex("01")).bytes();
  ASSERT_FALSE(decode(w, p));
  EXPECT_FALSE(p.has_lint(lint::tlvs_in_v33_pdu));
}

TEST(decode, length_mismatch_both_ways) {
  const octets good = from_hex("0000001B 80000004 00000000 00000001 3031323334353637383900");
  pdu p;
  // frame longer than command_length: only command_length octets are decoded
  octets longer = good;
  longer.push_back(0x41);
  decode_error e = decode(longer, p);
  EXPECT_EQ(e.code, decode_errc::length_mismatch);
  EXPECT_EQ(e.field, "command_length");
  EXPECT_EQ(e.offset, 0u);
  EXPECT_EQ(p.message_id(), "0123456789");
  EXPECT_TRUE(p.tlv_region.empty());
  EXPECT_EQ(e.message(p), "submit_sm_resp: command_length: says 27 octets but 28 are present at offset 0");
  // frame shorter: the fields that are there are decoded
  const octets shorter(good.begin(), good.end() - 1);
  e = decode(shorter, p);
  EXPECT_EQ(e.code, decode_errc::length_mismatch);
  EXPECT_EQ(p.message_id(), "0123456789");
  EXPECT_TRUE(p.has_lint(lint::c_string_without_nul));
}

TEST(decode, short_header) {
  const octets w = from_hex("00000010 00000015 0000");
  pdu p;
  const decode_error e = decode(w, p);
  EXPECT_EQ(e.code, decode_errc::short_header);
  EXPECT_EQ(e.detail, 10u);
  EXPECT_EQ(e.message(p), "pdu: command_length: only 10 octets, a PDU header needs 16 at offset 0");
  EXPECT_EQ(decode({}, p).code, decode_errc::short_header);
}

// Every prefix of every sample and vector, with command_length patched to the prefix length:
// never a crash; an error names a field of the PDU and an offset inside it; a prefix that cuts a
// field or a TLV is never reported clean.
TEST(decode, truncation_at_every_length) {
  std::vector<octets> inputs = test::all_samples();
  for (const char* v : {"smpp_deliver_sm_dlr", "smpp_broadcast_sm_v50", "smpp_bind_transceiver", "smpp_submit_sm_times",
                        "smpp_submit_sm_message_payload_udh", "smpp_bind_transceiver_resp"})
    inputs.push_back(test::vector_pdu(v));
  std::size_t checked = 0;
  for (const octets& full : inputs) {
    pdu whole;
    ASSERT_FALSE(decode(full, whole));
    // where a clean cut is possible: after the last mandatory field and at each TLV boundary
    std::vector<std::size_t> clean{full.size() - whole.tlv_region.size()};
    for (const tlv& t : whole.tlvs())
      clean.push_back(static_cast<std::size_t>(t.value.data() + t.value.size() - full.data()));
    for (std::size_t len = 0; len < full.size(); ++len) {
      octets cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
      if (len >= 4) patch_length(cut);
      pdu p;
      const decode_error e = decode(cut, p);
      SCOPED_TRACE(std::string(whole.name()) + " cut at " + std::to_string(len) + ": " + e.message(p));
      ++checked;
      if (len < header_size) {
        EXPECT_EQ(e.code, decode_errc::short_header);
        continue;
      }
      const bool at_boundary = std::find(clean.begin(), clean.end(), len) != clean.end();
      if (e) {
        EXPECT_FALSE(at_boundary);
        EXPECT_LE(e.offset, len);
        EXPECT_GE(e.offset, header_size);
        ASSERT_NE(p.spec, nullptr);
        bool known = false;
        for (const auto& f : p.spec->fields) known |= f.name == e.field;
        EXPECT_TRUE(known) << e.field;
        const std::string m = e.message(p);
        EXPECT_NE(m.find(std::string(e.field)), std::string::npos);
        EXPECT_NE(m.find("at offset " + std::to_string(e.offset)), std::string::npos);
      } else if (!at_boundary) {
        EXPECT_NE(p.lints, 0) << "a cut PDU decoded clean";
      }
      // not patched: always a length mismatch, still no crash
      octets raw(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
      EXPECT_EQ(decode(raw, p).code, decode_errc::length_mismatch);
    }
  }
  EXPECT_GT(checked, 5000u);
}

TEST(decode, does_not_allocate) {
  std::vector<octets> inputs = test::all_samples();
  inputs.push_back(test::vector_pdu("smpp_deliver_sm_dlr"));
  inputs.push_back(test::vector_pdu("smpp_submit_sm_seed_literal"));
  inputs.push_back(from_hex("00000010 80000004 00000000 00000003"));
  pdu p;
  std::size_t tlv_count = 0, errors = 0;
  counting = true;
  allocations = 0;
  for (const octets& w : inputs) {
    for (std::size_t len = 0; len <= w.size(); ++len) {
      const decode_error e = decode(bytes_view(w.data(), len), p);
      errors += e ? 1 : 0;
      for (const tlv& t : p.tlvs()) tlv_count += t.integer().has_value() + t.text().size();
      (void)p.payload();
      (void)p.message_id();
    }
  }
  const std::size_t n = allocations;
  counting = false;
  EXPECT_EQ(n, 0u);
  EXPECT_GT(tlv_count, 0u);
  EXPECT_GT(errors, 0u);
}

TEST(decode, typed_accessors) {
  pdu p;
  const octets dlr = test::vector_pdu("smpp_deliver_sm_dlr");  // p points into it
  ASSERT_FALSE(decode(dlr, p));
  EXPECT_EQ(p.esm_class(), 0x04);
  EXPECT_EQ(p.data_coding(), 0);
  EXPECT_FALSE(p.message_id());
  EXPECT_EQ(p.short_message().size(), 107u);
  EXPECT_EQ(p.payload().data(), p.short_message().data());
  const octets resp = test::vector_pdu("smpp_submit_sm_resp");
  ASSERT_FALSE(decode(resp, p));
  EXPECT_EQ(p.message_id(), "0123456789");
  EXPECT_FALSE(p.esm_class());
  EXPECT_FALSE(p.data_coding());
  EXPECT_TRUE(p.short_message().empty());
  EXPECT_TRUE(p.payload().empty());
}

TEST(decode, equality_sees_every_part) {
  const octets w = submit_sm_with("5678");
  pdu a, b;
  ASSERT_FALSE(decode(w, a));
  ASSERT_FALSE(decode(w, b));
  EXPECT_TRUE(a == b);
  octets w2 = w;
  w2[w2.size() - 1] ^= 1;  // last octet of short_message
  ASSERT_FALSE(decode(w2, b));
  EXPECT_FALSE(a == b);
  w2 = w;
  w2[15] ^= 1;  // sequence_number
  ASSERT_FALSE(decode(w2, b));
  EXPECT_FALSE(a == b);
}

TEST(encode, reports_the_size_and_writes_only_when_it_fits) {
  const octets w = test::vector_pdu("smpp_deliver_sm_dlr");
  pdu p;
  ASSERT_FALSE(decode(w, p));
  octets small(w.size() - 1, 0xEE);
  EXPECT_EQ(encode(p, small), w.size());
  EXPECT_EQ(small, octets(w.size() - 1, 0xEE));
  octets big(w.size() + 5, 0xEE);
  EXPECT_EQ(encode(p, big), w.size());
  EXPECT_EQ(octets(big.begin(), big.begin() + static_cast<std::ptrdiff_t>(w.size())), w);
  EXPECT_EQ(big.back(), 0xEE);
}

TEST(builder, rejects_what_the_table_does_not_allow) {
  pdu_builder b(command_id::submit_sm, 1);
  EXPECT_THROW(b.set("no_such_field", 1u), std::invalid_argument);
  EXPECT_THROW(b.set("no_such_field", "x"), std::invalid_argument);
  EXPECT_THROW(b.set("source_addr", 1u), std::invalid_argument);  // a C-Octet String
  EXPECT_THROW(b.set("esm_class", "x"), std::invalid_argument);   // an integer
  EXPECT_THROW(b.set("esm_class", 256u), std::invalid_argument);  // does not fit 1 octet
  EXPECT_THROW(b.tlv_int(tlv_tag::message_payload, 1), std::invalid_argument);
  EXPECT_THROW(b.tlv_int(0x3FFF, 1), std::invalid_argument);
  EXPECT_THROW(b.tlv_int(tlv_tag::sar_total_segments, 256), std::invalid_argument);
  EXPECT_THROW(pdu_builder(command_id::submit_sm_resp).short_message(from_hex("00")), std::invalid_argument);
  EXPECT_THROW(pdu_builder(0x12345678u).set("message_id", "x"), std::invalid_argument);
  try {
    b.set("destination_adr", "x");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "submit_sm has no field 'destination_adr'");
  }
}

TEST(builder, writes_the_worked_example) {
  // the corrected 45-octet submit_sm (vector smpp_submit_sm_ucs2_hi in tests/data/vectors)
  const octets w = pdu_builder(command_id::submit_sm, 1)
                       .set("source_addr_ton", 1u)
                       .set("source_addr_npi", 1u)
                       .set("source_addr", "1234")
                       .set("dest_addr_ton", 1u)
                       .set("dest_addr_npi", 1u)
                       .set("destination_addr", "5678")
                       .set("data_coding", 8u)
                       .short_message(from_hex("00480069"))
                       .bytes();
  EXPECT_EQ(to_hex(w), "0000002d000000040000000000000001000101313233340001013536373800000000000000000800040048"
                       "0069");
  EXPECT_EQ(w, test::vector_pdu("smpp_submit_sm_ucs2_hi"));
}

TEST(lints, have_distinct_names_and_messages) {
  std::vector<std::string_view> names;
  for (int bit = 0; bit < 9; ++bit) {
    const auto l = static_cast<lint>(1 << bit);
    EXPECT_FALSE(lint_message(l).empty());
    EXPECT_NE(lint_name(l), "unknown");
    for (auto n : names) EXPECT_NE(n, lint_name(l));
    names.push_back(lint_name(l));
  }
}

}  // namespace
}  // namespace smppscope::decoder
