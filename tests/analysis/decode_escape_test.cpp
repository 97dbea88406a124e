// What peers send never reaches a terminal raw: decoder::log_safe itself, and `smppscope decode`'s
// text lines for a capture full of control characters, ANSI sequences, bidi overrides and bad UTF-8.
#include <gtest/gtest.h>

#include "analysis_test_util.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "smppscope/decoder/json.hpp"

using namespace analysis_test;

namespace {

using smppscope::decoder::log_safe;

TEST(LogSafe, PrintableAsciiAndValidUtf8PassUnchanged) {
  EXPECT_EQ(log_safe("esme-7 [test] {x} ~"), "esme-7 [test] {x} ~");
  EXPECT_EQ(log_safe("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(log_safe(""), "");
}

TEST(LogSafe, ControlsAnsiAndBadUtf8BecomeVisibleEscapes) {
  EXPECT_EQ(log_safe("a\x1b[31mred\x1b[0m"), "a\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(log_safe("line\r\nforged"), "line\\x0d\\x0aforged");
  EXPECT_EQ(log_safe(std::string("nul\0tab\t", 8)), "nul\\x00tab\\x09");
  EXPECT_EQ(log_safe("del\x7f"), "del\\x7f");
  EXPECT_EQ(log_safe("\xff\xfe"), "\\xff\\xfe");                  // not UTF-8
  EXPECT_EQ(log_safe("\xc3"), "\\xc3");                          // truncated sequence
  EXPECT_EQ(log_safe("\xc0\xaf"), "\\xc0\\xaf");                  // overlong '/'
  EXPECT_EQ(log_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");          // a surrogate
  EXPECT_EQ(log_safe("\xc2\x9b" "2J"), "\\xc2\\x9b2J");            // U+009B, a one-character CSI
  EXPECT_EQ(log_safe("\xe2\x80\xae" "evil"), "\\xe2\\x80\\xaeevil");  // U+202E right-to-left override
  EXPECT_EQ(log_safe("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");          // U+2028 line separator
  EXPECT_EQ(log_safe("\xe2\x81\xa6x"), "\\xe2\\x81\\xa6x");        // U+2066 isolate
  EXPECT_EQ(log_safe("\xe2\x80\x94"), "\xe2\x80\x94");             // U+2014 em dash is fine
}

TEST(LogSafe, BackslashIsDoubledSoEscapesReadBackUnambiguously) {
  EXPECT_EQ(log_safe("a\\x1b"), "a\\\\x1b");  // the text "\x1b", not an escaped ESC
  EXPECT_NE(log_safe("a\\x1b"), log_safe("a\x1b"));
}

// Every octet of `s` is printable ASCII, a newline, or part of UTF-8 that is not a C1 control
// or a bidi / line-separator code point.
void expect_terminal_safe(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    ASSERT_TRUE(c == '\n' || (c >= 0x20 && c != 0x7f)) << "raw octet " << int(c) << " at " << i << " in:\n" << s;
  }
  EXPECT_EQ(s.find("\xc2\x9b"), std::string::npos) << s;
  EXPECT_EQ(s.find("\xe2\x80\xae"), std::string::npos) << s;
  EXPECT_EQ(s.find('\x1b'), std::string::npos) << s;
}

TEST(DecodeEscape, HostileStringsInEveryTextFieldAreEscaped) {
  temp_dir dir;
  {
    sc::event_ring ring;
    sc::session_table sessions;
    sc::analyzer an(ring, sessions);
    sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::client});
    an.add_sink(w);
    std::int64_t ts = 1'763'800'000'000'000;
    an.process(open_record(1, ts++));
    an.process(data_record(1, sc::direction::esme_to_smsc, ts++, bind_trx(1, "e\x1b[31m\r\nX\x07")));
    an.process(data_record(1, sc::direction::smsc_to_esme, ts++, bind_trx_resp(1)));
    const std::string text = "hi\x1b[2J\x1b]0;title\x07";
    an.process(data_record(1, sc::direction::esme_to_smsc, ts++,
                           sd::pdu_builder(sd::command_id::submit_sm, 2)
                               .set("source_addr", "\x1b]8;;x\x07")
                               .set("destination_addr", "\xe2\x80\xae" "12\xff")
                               .set("data_coding", 1)
                               .short_message(bytes(text.begin(), text.end()))
                               .bytes()));
    an.process(data_record(1, sc::direction::smsc_to_esme, ts++,
                           sd::pdu_builder(sd::command_id::submit_sm_resp, 2).set("message_id", "m\x1b[1m\xc2\x9b").bytes()));
    w.close();
  }
  std::filesystem::path file;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) file = e.path();
  int status = -1;
  const std::string out = run(shell_quote(SMPPSCOPE_BINARY) + " decode " + shell_quote(file.string()), &status);
  ASSERT_EQ(status, 0) << out;
  ASSERT_EQ(lines(out).size(), 4u) << out;
  expect_terminal_safe(out);
  EXPECT_NE(out.find("system_id=e\\x1b[31m\\x0d\\x0aX\\x07"), std::string::npos) << out;
  EXPECT_NE(out.find("from=\\x1b]8;;x\\x07"), std::string::npos) << out;
  EXPECT_NE(out.find("to=\\xe2\\x80\\xae12\\xff"), std::string::npos) << out;
  EXPECT_NE(out.find("message_id=m\\x1b[1m\\xc2\\x9b"), std::string::npos) << out;
  EXPECT_NE(out.find("text=\"hi\\x1b[2J\\x1b]0;title\\x07\""), std::string::npos) << out;
}

}  // namespace
