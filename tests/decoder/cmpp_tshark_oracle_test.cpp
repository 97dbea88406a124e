// tshark as the outside oracle for CMPP. Wireshark's dissector knows only the 3.0 layouts, so:
//   - 3.0 vectors (and the layouts both versions share): every key tshark shows under "cmpp" must
//     equal what decode() found with the 3.0 layout; a key nobody checks fails the test. tshark's
//     placeholders ("MD5 Hash", "SMS Messages") and its ISMG code (the true code >> 8, a
//     Wireshark bug) are checked as what they are.
//   - 2.0 vectors: tshark's reading is asserted too, and shown to be what the 3.0 layout makes of
//     2.0 octets, while the 2.0 decode gives the values the vectors were built with.
// Without tshark the test is skipped, except when $CI is set: then it fails.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "sample_pdus.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "vector_pcap.hpp"

namespace smppscope::decoder::cmpp {
namespace {

namespace json = boost::json;

bool tshark_available() { return std::system("tshark --version >/dev/null 2>&1") == 0; }

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

// The frame's layers as tshark shows them: "cmpp" flattened into key -> value (nested trees
// prefixed with their parent's key and '/'), plus whether tshark called the packet malformed.
struct tshark_view {
  std::map<std::string, std::string> cmpp;
  bool malformed = false;
};

void flatten(const json::object& o, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& kv : o) {
    const std::string key = prefix + std::string(kv.key());
    if (kv.value().is_object()) {
      flatten(kv.value().as_object(), key + "/", out);
    } else if (kv.value().is_string()) {
      out[key] = std::string(kv.value().as_string());
    }
  }
}

tshark_view tshark(const std::string& vector) {
  const std::string path = (test::vectors_dir() / (vector + ".pcap")).string();
  const std::string out = run_command("tshark -r '" + path + "' -T json 2>/dev/null");
  tshark_view v;
  const json::value doc = json::parse(out);
  const json::object& layers = doc.as_array().at(0).as_object().at("_source").as_object().at("layers").as_object();
  if (const auto* c = layers.if_contains("cmpp")) flatten(c->as_object(), "", v.cmpp);
  v.malformed = layers.contains("_ws.malformed");
  return v;
}

std::string hex64(std::uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
  return b;
}
std::string hex32(std::uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
std::string two(unsigned v) {
  char b[4];
  std::snprintf(b, sizeof b, "%02u", v);
  return b;
}
// tshark's Msg_Id tree: "MM/DD hh:mm:ss", the ISMG code shifted by 24 instead of 16, the sequence.
std::map<std::string, std::string> msg_id_tree(const std::string& prefix, std::uint64_t id) {
  const msg_id_parts m = unpack_msg_id(id);
  return {{prefix + "cmpp.Msg_Id", hex64(id)},
          {prefix + "cmpp.Msg_Id_tree/cmpp.Msg_Id.timestamp",
           two(m.month) + "/" + two(m.day) + " " + two(m.hour) + ":" + two(m.minute) + ":" + two(m.second)},
          {prefix + "cmpp.Msg_Id_tree/cmpp.Msg_Id.ismg_code", std::to_string(m.gateway >> 8)},
          {prefix + "cmpp.Msg_Id_tree/cmpp.Msg_Id.sequence_id", std::to_string(m.sequence)}};
}

// What tshark should show for `p` (decoded with the 3.0 layout), key by key.
std::map<std::string, std::string> expected_keys(const pdu& p) {
  std::map<std::string, std::string> e = {{"cmpp.Total_Length", std::to_string(p.hdr.total_length)},
                                          {"cmpp.Command_Id", hex32(p.hdr.command_id)},
                                          {"cmpp.Sequence_Id", std::to_string(p.hdr.sequence_id)}};
  auto text = [&](const char* key, const char* field) { e[key] = std::string(*p.text(field)); };
  auto num = [&](const char* key, const char* field) { e[key] = std::to_string(*p.integer(field)); };
  switch (static_cast<command_id>(p.hdr.command_id)) {
    case command_id::connect: {
      text("cmpp.connect.Source_Addr", "Source_Addr");
      e["cmpp.connect.AuthenticatorSource"] = "MD5 Hash";  // tshark's placeholder
      const auto v = *p.integer("Version");
      e["cmpp.Version"] = two(static_cast<unsigned>(v >> 4)) + "." + two(static_cast<unsigned>(v & 0xF));
      const connect_time t = unpack_timestamp(static_cast<std::uint32_t>(*p.integer("Timestamp")));
      e["cmpp.connect.Timestamp"] = two(t.month) + "/" + two(t.day) + " " + two(t.hour) + ":" + two(t.minute) + ":" + two(t.second);
      break;
    }
    case command_id::submit: {
      e.merge(msg_id_tree("", *p.msg_id()));
      for (const char* f : {"Pk_total", "Pk_number", "Registered_Delivery", "Msg_level", "Fee_UserType", "Fee_terminal_type",
                            "DestUsr_tl", "Dest_terminal_type"}) {
        e[std::string("cmpp.submit.") + f] = std::to_string(*p.integer(f));
      }
      for (const char* f : {"Fee_terminal_Id", "Msg_src", "FeeType", "FeeCode", "Src_Id"}) {
        e[std::string("cmpp.submit.") + f] = std::string(*p.text(f));
      }
      text("cmpp.Servicd_Id", "Service_Id");  // sic
      text("cmpp.submit.Valld_Time", "ValId_Time");  // sic
      text("cmpp.submit.At_time", "At_Time");
      num("cmpp.TP_pId", "TP_pId");
      num("cmpp.TP_udhi", "TP_udhi");
      num("cmpp.Msg_Fmt", "Msg_Fmt");
      e["cmpp.Dest_terminal_Id"] = std::string(p.dest_terminal_id(0));
      num("cmpp.Msg_Length", "Msg_Length");
      e["cmpp.Msg_Content"] = "SMS Messages";  // tshark's placeholder
      text("cmpp.LinkID", "LinkID");
      break;
    }
    case command_id::deliver: {
      e.merge(msg_id_tree("", *p.msg_id()));
      text("cmpp.deliver.Dest_Id", "Dest_Id");
      text("cmpp.Servicd_Id", "Service_Id");
      num("cmpp.TP_pId", "TP_pid");
      num("cmpp.TP_udhi", "TP_udhi");
      num("cmpp.Msg_Fmt", "Msg_Fmt");
      text("cmpp.deliver.Src_terminal_Id", "Src_terminal_Id");
      num("cmpp.deliver.Src_terminal_type", "Src_terminal_type");
      num("cmpp.deliver.Registered_Delivery", "Registered_Delivery");
      num("cmpp.Msg_Length", "Msg_Length");
      text("cmpp.LinkID", "LinkID");
      const auto r = parse_status_report(p.msg_content(), p.ver);
      EXPECT_TRUE(r);
      if (!r) break;
      e.merge(msg_id_tree("cmpp.deliver.Report/", r->msg_id));
      e["cmpp.deliver.Report/cmpp.deliver.Report.Status"] = std::string(r->stat);
      e["cmpp.deliver.Report/cmpp.deliver.Report.Submit_time"] = std::string(r->submit_time);
      e["cmpp.deliver.Report/cmpp.deliver.Report.Done_time"] = std::string(r->done_time);
      e["cmpp.deliver.Report/cmpp.Dest_terminal_Id"] = std::string(r->dest_terminal_id);
      e["cmpp.deliver.Report/cmpp.Report.SMSC_sequence"] = std::to_string(r->smsc_sequence);
      break;
    }
    case command_id::submit_resp:
    case command_id::deliver_resp:
      e.merge(msg_id_tree("", *p.msg_id()));
      break;
    default:
      break;  // ACTIVE_TEST_RESP: tshark does not show Reserved
  }
  return e;
}

class CmppTshark20 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tshark_available()) {
      if (std::getenv("CI")) FAIL() << "tshark is required in CI";
      GTEST_SKIP() << "tshark not installed";
    }
  }
};

class CmppTshark : public CmppTshark20, public ::testing::WithParamInterface<std::string> {};

TEST_P(CmppTshark, Layout30AgreesKeyByKey) {
  const test::octets f = test::vector_pdu(GetParam());
  pdu p;
  ASSERT_FALSE(decode(f, version::v30, p));
  const tshark_view t = tshark(GetParam());
  EXPECT_FALSE(t.malformed);
  const auto expected = expected_keys(p);
  for (const auto& [key, value] : t.cmpp) {
    const auto it = expected.find(key);
    if (it == expected.end()) {
      ADD_FAILURE() << "tshark key nobody checks: " << key << " = " << value;
      continue;
    }
    EXPECT_EQ(value, it->second) << key;
  }
  for (const auto& [key, value] : expected) EXPECT_TRUE(t.cmpp.count(key)) << "tshark did not show " << key;
}

INSTANTIATE_TEST_SUITE_P(Vectors, CmppTshark,
                         ::testing::Values("cmpp_connect_v20", "cmpp3_submit", "cmpp3_deliver_report", "cmpp_active_test",
                                           "cmpp_active_test_resp"));


// 2.0 CONNECT_RESP: tshark reads a 4-octet Status (3.0) over the 1-octet Status and the first three
// octets of AuthenticatorISMG, and calls the packet malformed.
TEST_F(CmppTshark20, ConnectRespTsharkMisreads) {
  const test::octets f = test::vector_pdu("cmpp2_connect_resp");
  const tshark_view t = tshark("cmpp2_connect_resp");
  pdu p2;
  ASSERT_FALSE(decode(f, version::v20, p2));
  EXPECT_EQ(p2.status(), 0u);
  const std::uint32_t as30 = (std::uint32_t(f[12]) << 24) | (std::uint32_t(f[13]) << 16) | (std::uint32_t(f[14]) << 8) | f[15];
  EXPECT_EQ(t.cmpp.at("cmpp.connect_resp.Status"), std::to_string(as30));
  EXPECT_NE(as30, 0u);
  EXPECT_TRUE(t.malformed);
}

// 2.0 SUBMIT: tshark applies the 3.0 offsets. It reads FeeCode digits as TP_pId / TP_udhi /
// Msg_Fmt (48 = '0') and NUL padding as DestUsr_tl 0 and Msg_Length 0; exactly what our 3.0 layout
// reads, while the 2.0 layout gives the built values.
TEST_F(CmppTshark20, SubmitTsharkMisreads) {
  const test::octets f = test::vector_pdu("cmpp2_submit");
  const tshark_view t = tshark("cmpp2_submit");
  pdu p3, p2;
  ASSERT_FALSE(decode(f, version::v30, p3));
  ASSERT_FALSE(decode(f, version::v20, p2));
  EXPECT_EQ(t.cmpp.at("cmpp.TP_pId"), "48");
  EXPECT_EQ(t.cmpp.at("cmpp.Msg_Fmt"), "48");
  EXPECT_EQ(t.cmpp.at("cmpp.submit.DestUsr_tl"), "0");
  EXPECT_EQ(t.cmpp.at("cmpp.Msg_Length"), "0");
  EXPECT_EQ(t.cmpp.at("cmpp.TP_pId"), std::to_string(*p3.integer("TP_pId")));
  EXPECT_EQ(t.cmpp.at("cmpp.Msg_Fmt"), std::to_string(*p3.integer("Msg_Fmt")));
  EXPECT_EQ(t.cmpp.at("cmpp.submit.DestUsr_tl"), std::to_string(*p3.integer("DestUsr_tl")));
  EXPECT_EQ(p2.integer("TP_pId"), 0u);
  EXPECT_EQ(p2.msg_fmt(), 8);
  EXPECT_EQ(p2.dest_terminal_id(0), "13800138000");
  EXPECT_EQ(decode_text(p2.msg_content(), 8).utf8, "Hi");
  // What both layouts agree on, tshark shows right.
  EXPECT_EQ(t.cmpp.at("cmpp.Servicd_Id"), "TEST");
  EXPECT_EQ(t.cmpp.at("cmpp.submit.Pk_total"), "1");
}

// 2.0 SUBMIT_RESP: the Msg_Id is right (same offset), the 4-octet Result runs past the 21 octets.
TEST_F(CmppTshark20, SubmitRespTsharkMalformed) {
  const test::octets f = test::vector_pdu("cmpp2_submit_resp");
  const tshark_view t = tshark("cmpp2_submit_resp");
  pdu p2;
  ASSERT_FALSE(decode(f, version::v20, p2));
  EXPECT_EQ(t.cmpp.at("cmpp.Msg_Id"), hex64(*p2.msg_id()));
  EXPECT_EQ(t.cmpp.at("cmpp.Msg_Id_tree/cmpp.Msg_Id.ismg_code"), "482");  // 123456 >> 8
  EXPECT_EQ(unpack_msg_id(*p2.msg_id()).gateway, 123456u);
  EXPECT_FALSE(t.cmpp.count("cmpp.submit_resp.Result"));
  EXPECT_TRUE(t.malformed);
  pdu p3;
  EXPECT_EQ(decode(f, version::v30, p3).code, decode_errc::truncated_field);
}

// 2.0 DELIVER with a report: tshark reads Src_terminal_Id as 32 octets, so Msg_Length lands on a
// report octet (73) and the packet is malformed; the 2.0 decode gives the 60-octet report.
TEST_F(CmppTshark20, DeliverReportTsharkMisreads) {
  const test::octets f = test::vector_pdu("cmpp2_deliver_report");
  const tshark_view t = tshark("cmpp2_deliver_report");
  EXPECT_EQ(t.cmpp.at("cmpp.Msg_Length"), std::to_string(f[88]));
  EXPECT_EQ(t.cmpp.at("cmpp.Msg_Length"), "73");
  EXPECT_TRUE(t.malformed);
  pdu p2;
  ASSERT_FALSE(decode(f, version::v20, p2));
  EXPECT_EQ(p2.integer("Msg_Length"), 60u);
  EXPECT_EQ(parse_status_report(p2.msg_content(), version::v20)->stat, "DELIVRD");
}

}  // namespace
}  // namespace smppscope::decoder::cmpp
