// The shipped profiles load with the documented numbers; broken files give ONE error that names
// the source, line and column; a property test checks that no mutation of a shipped file crashes
// the loader or yields an error without a position.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "smppscope/profile/loader.hpp"

namespace smppscope::profile {
namespace {

namespace d = smppscope::decoder;

std::uint32_t id(d::command_id c) { return static_cast<std::uint32_t>(c); }

TEST(profile_shipped, every_shipped_profile_loads) {
  ASSERT_EQ(builtin_profile_texts().size(), 4u);
  for (const auto& t : builtin_profile_texts()) {
    const load_result r = parse_profile(t.text, std::string(t.name));
    ASSERT_TRUE(r) << r.error.to_string();
    EXPECT_EQ(r.profile->name, t.name) << "file stem and name = must agree";
    EXPECT_FALSE(r.profile->description.empty());
  }
  ASSERT_EQ(builtin_profiles().size(), 4u);
  EXPECT_EQ(builtin_profiles()[0]->name, "generic-3.4");  // sorted by name
  EXPECT_EQ(generic_profile()->name, default_profile_name);
  EXPECT_EQ(find_builtin("nope"), nullptr);
}

TEST(profile_shipped, ovhcloud_numbers) {
  const profile_ptr p = find_builtin("ovhcloud");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->interface_versions, std::vector<std::uint8_t>{0x34});
  EXPECT_EQ(p->window, 10u);
  EXPECT_EQ(p->rate_per_connection, 20.0);
  EXPECT_TRUE(p->counts_as_message(id(d::command_id::submit_sm)));
  EXPECT_EQ(p->enquire_link_interval_s, 30u);
  EXPECT_EQ(p->forced_unbind_period_s, 86400u);
  EXPECT_EQ(p->binds.max_per_account, 2u);
  EXPECT_EQ(p->binds.transceiver_weight, 2u);
  EXPECT_EQ(p->binds.max_transmitters, 1u);
  EXPECT_EQ(p->tls.min_version, tls_version::v1_3);
  EXPECT_FALSE(p->tls.required);
  for (auto c : {d::command_id::query_sm, d::command_id::cancel_sm, d::command_id::replace_sm, d::command_id::submit_multi,
                 d::command_id::data_sm, d::command_id::alert_notification})
    EXPECT_FALSE(p->pdu_supported(id(c))) << id(c);
  EXPECT_TRUE(p->pdu_supported(id(d::command_id::submit_sm)));
  EXPECT_TRUE(p->pdu_supported(id(d::command_id::enquire_link_resp)));
  EXPECT_TRUE(p->data_coding_supported(0));
  EXPECT_TRUE(p->data_coding_supported(8));
  EXPECT_FALSE(p->data_coding_supported(3));
  EXPECT_EQ(p->gsm7, gsm7_packing::unpacked);
  EXPECT_FALSE(p->sm_length.message_payload_allowed);
  ASSERT_EQ(p->vendor_statuses.size(), 3u);
  EXPECT_EQ(p->find_status(0x400)->name, "ESME_RBINDTHROTTLED");
  EXPECT_EQ(p->find_status(0x402)->name, "ESME_RINVGSM7CODING");
  EXPECT_EQ(p->replies.too_many_binds, 0x400u);
  EXPECT_EQ(p->replies.unsupported_data_coding, 0x401u);
  EXPECT_EQ(p->replies.invalid_gsm7, 0x402u);
  EXPECT_EQ(p->replies.throttled, 0x58u);
  EXPECT_TRUE(p->replies.unsupported_pdu_generic_nack);
  ASSERT_TRUE(p->find_tlv(0x1401));
  EXPECT_EQ(p->find_tlv(0x1401)->name, "outgoing_id");
  EXPECT_EQ(p->find_tlv(0x1402)->name, "incoming_id");
  EXPECT_EQ(p->find_tlv(0x1402)->max_len, 65);
  EXPECT_EQ(p->receipt.errors.size(), 25u);
  EXPECT_EQ(p->find_receipt_error(102)->meaning, "Invalid GSM7 Coding");
  EXPECT_EQ(p->find_receipt_error(804)->meaning, "Unknown");
  EXPECT_EQ(p->find_receipt_error(11), nullptr);
  EXPECT_EQ(p->system_id.prefix, "smpp-");
  // The decoder's view, built by finalize().
  ASSERT_EQ(p->names.tlvs.size(), 2u);
  EXPECT_EQ(p->names.tlvs[0].vendor, "ovhcloud");
  EXPECT_EQ(p->names.statuses.size(), 3u);
  EXPECT_EQ(p->names.receipt_errors.size(), 25u);
}

TEST(profile_shipped, mensatek_numbers) {
  const profile_ptr p = find_builtin("mensatek");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->interface_versions, (std::vector<std::uint8_t>{0x33, 0x34}));
  EXPECT_TRUE(p->bind_allowed(bind_type::transceiver));
  EXPECT_FALSE(p->bind_allowed(bind_type::transmitter));
  EXPECT_FALSE(p->bind_allowed(bind_type::receiver));
  EXPECT_EQ(p->binds.max_per_server, 1u);
  EXPECT_EQ(p->data_codings, (std::vector<std::uint8_t>{0, 1, 8}));
  // The err: table from 0 to 200, as published (the codes between are missing there too).
  EXPECT_EQ(p->receipt.errors.size(), 48u);
  EXPECT_EQ(p->receipt.errors.front().code, 0u);
  EXPECT_EQ(p->receipt.errors.back().code, 200u);
  EXPECT_EQ(p->find_receipt_error(133)->meaning, "Fallo en móvil destino (dado de baja).");
  EXPECT_EQ(p->find_receipt_error(11)->meaning, "Entregado al teléfono");
  EXPECT_FALSE(p->find_receipt_error(11)->detail.empty());
  EXPECT_EQ(p->receipt.stats.size(), 7u);
  EXPECT_EQ(p->receipt.text.find("{text}"), std::string::npos);
}

TEST(profile_shipped, melrose_labs_numbers) {
  const profile_ptr p = find_builtin("melrose-labs");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->binds.max_per_host, 10u);
  EXPECT_EQ(p->window, 20u);
  EXPECT_EQ(p->rate_per_connection, 2000.0);
  EXPECT_EQ(p->tls.port, 8775);
}

TEST(profile_shipped, generic_checks_nothing_provider_specific) {
  const profile_ptr p = generic_profile();
  EXPECT_FALSE(p->window);
  EXPECT_FALSE(p->rate_per_connection);
  EXPECT_TRUE(p->vendor_statuses.empty());
  EXPECT_TRUE(p->vendor_tlvs.empty());
  EXPECT_TRUE(p->pdu_supported(id(d::command_id::data_sm)));
  EXPECT_TRUE(p->data_coding_supported(0xF5));
  EXPECT_EQ(p->sm_length.max_octets, 140u);
}

TEST(profile_shipped, hints_name_the_profiles) {
  EXPECT_EQ(profiles_naming_tlv(0x1401), std::vector<std::string_view>{"ovhcloud"});
  EXPECT_EQ(profiles_naming_status(0x401), std::vector<std::string_view>{"ovhcloud"});
  EXPECT_TRUE(profiles_naming_tlv(0x1500).empty());
}

// ---- errors ----

load_error error_of(std::string_view text) {
  const load_result r = parse_profile(text, "mine.toml");
  EXPECT_FALSE(r) << "expected an error for:\n" << text;
  return r.error;
}

TEST(profile_errors, syntax_error_names_the_line) {
  const load_error e = error_of("name = \"x\"\n[limits]\nwindow = = 3\n");
  EXPECT_EQ(e.source, "mine.toml");
  EXPECT_EQ(e.line, 3u);
  EXPECT_GT(e.column, 0u);
  EXPECT_TRUE(e.to_string().starts_with("mine.toml:3:")) << e.to_string();
}

struct semantic_case {
  const char* text;
  std::uint32_t line;
  const char* says;
};

TEST(profile_errors, semantic_errors_name_the_line) {
  const semantic_case cases[] = {
      {"name = \"x\"\n[limits]\nwindow = -1\n", 3, "window must be an integer from 1 to 65535, got -1"},
      {"name = \"x\"\n[limits]\nwindow = 0\n", 3, "got 0"},
      {"name = \"x\"\n\n[pdus]\nunsupported = [\"query_sm\", \"qeury_sm\"]\n", 4, "unknown PDU 'qeury_sm'"},
      {"name = \"x\"\n[limits]\nwindw = 10\n", 3, "unknown key 'limits.windw'"},
      {"name = \"x\"\nwindow = 10\n", 2, "unknown key 'window'"},
      {"name = \"X Y\"\n", 1, "name must be"},
      {"name = \"x\"\n[encoding]\ngsm7_packing = \"sometimes\"\n", 3, "gsm7_packing"},
      {"name = \"x\"\n[encoding]\nsm_length_max = 255\n", 3, "0 to 254"},
      {"name = \"x\"\n[encoding]\ndata_codings = [0, 8, 0]\n", 3, "listed twice"},
      {"name = \"x\"\n[tls]\nmin_version = \"1.4\"\n", 3, "tls.min_version"},
      {"name = \"x\"\n[[statuses]]\nvalue = 0x58\nname = \"MINE\"\n", 3, "standard ESME_RTHROTTLED"},
      {"name = \"x\"\n[[tlvs]]\ntag = 0x0424\nname = \"mine\"\ntype = \"octets\"\n", 3, "from 5120 to 16383"},
      {"name = \"x\"\n[[tlvs]]\ntag = 0x1500\nname = \"mine\"\ntype = \"string\"\n", 5, "tlvs.type"},
      {"name = \"x\"\n[replies]\ntoo_many_binds = \"ESME_NOPE\"\n", 3, "unknown status 'ESME_NOPE'"},
      {"name = \"x\"\n[receipt]\ntext = \"id:{id} stat:{stat} x:{nope}\"\n", 3, "unknown placeholder '{nope}'"},
      {"name = \"x\"\n[receipt]\nerrors = [\n  { code = 1, meaning = \"a\" },\n  { code = 1, meaning = \"b\" },\n]\n", 5,
       "code 1 defined twice"},
      {"name = \"x\"\n[receipt]\nerrors = [\n  { code = 1, meaning = \"a\", detial = \"b\" },\n]\n", 4, "unknown key 'receipt.errors.detial'"},
      {"name = \"x\"\n[binds]\nallowed = [\"transceiver\", \"both\"]\n", 3, "unknown bind type 'both'"},
      {"name = \"x\"\n[limits]\nrate_per_connection = \"fast\"\n", 3, "must be a number"},
      {"name = \"x\"\n[limits]\nenquire_link_tolerance = 1.0\n", 3, "enquire_link_tolerance"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const load_error e = error_of(c.text);
    EXPECT_EQ(e.line, c.line) << e.to_string();
    EXPECT_NE(e.message.find(c.says), std::string::npos) << e.to_string();
    EXPECT_TRUE(e.to_string().starts_with("mine.toml:" + std::to_string(c.line) + ":")) << e.to_string();
  }
}

TEST(profile_errors, missing_name_is_an_error) {
  const load_error e = error_of("[limits]\nwindow = 3\n");
  EXPECT_NE(e.message.find("missing 'name'"), std::string::npos) << e.to_string();
}

TEST(profile_file, reads_a_file_and_names_it_in_errors) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/good_profile.toml", bad = dir + "/bad_profile.toml";
  std::ofstream(good) << "name = \"mine\"\n[limits]\nwindow = 5\nrate_per_connection = 2.5\n";
  std::ofstream(bad) << "name = \"mine\"\n\n[limits]\nwindow = -1\n";
  const load_result g = load_profile_file(good);
  ASSERT_TRUE(g) << g.error.to_string();
  EXPECT_EQ(g.profile->window, 5u);
  EXPECT_EQ(g.profile->rate_per_connection, 2.5);
  EXPECT_EQ(g.profile->rate_counts, std::vector<std::uint32_t>{id(d::command_id::submit_sm)});
  const load_result b = load_profile_file(bad);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error.to_string(), bad + ":4:10: limits.window must be an integer from 1 to 65535, got -1");
  const load_result m = load_profile_file(dir + "/no_such_profile.toml");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error.to_string().find("no_such_profile.toml: cannot open"), std::string::npos);
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

TEST(profile_file, finalize_rebuilds_the_names_of_an_edited_copy) {
  provider_profile copy = *find_builtin("ovhcloud");
  copy.name = "ovh-edited";
  copy.window = 3;
  const profile_ptr p = finalize(std::move(copy));
  EXPECT_EQ(p->window, 3u);
  ASSERT_EQ(p->names.tlvs.size(), 2u);
  EXPECT_EQ(p->names.tlvs[0].vendor, "ovh-edited");
  EXPECT_EQ(p->names.tlvs[0].name.data(), p->vendor_tlvs[0].name.data());
}

// Property: whatever a shipped profile is mutated into, the loader returns (never throws or
// crashes) and an error always carries a position inside the text.
TEST(profile_property, mutated_profiles_load_or_fail_with_a_position) {
  std::mt19937 rng(12345);
  const std::string alphabet = "=[]{}\"',.#\n 0123456789xabcdefgh-_\\";
  int errors = 0;
  for (const auto& t : builtin_profile_texts()) {
    for (int round = 0; round < 150; ++round) {
      std::string s(t.text);
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits && !s.empty(); ++k) {
        const std::size_t at = rng() % s.size();
        switch (rng() % 3) {
          case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
          case 1: s.erase(at, 1 + rng() % 8); break;
          default: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        }
      }
      const load_result r = parse_profile(s, "mutant");
      if (r) continue;
      ++errors;
      const auto lines = static_cast<std::uint32_t>(std::count(s.begin(), s.end(), '\n') + 1);
      EXPECT_FALSE(r.error.message.empty());
      EXPECT_GE(r.error.line, 1u) << r.error.to_string();
      EXPECT_LE(r.error.line, lines) << r.error.to_string();
    }
  }
  EXPECT_GT(errors, 100);  // the mutations do break files
}

}  // namespace
}  // namespace smppscope::profile
