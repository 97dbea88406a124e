// The table in protocol.cpp: contents checked against the SMPP v3.4 / v5.0 specifications, lookups checked
// exhaustively against a linear scan.
#include "smppscope/decoder/protocol.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

#include "smppscope/decoder/pdu.hpp"

namespace smppscope::decoder {
namespace {

const pdu_spec* scan_pdu(std::uint32_t id) {
  for (const auto& p : all_pdus())
    if (p.id == id) return &p;
  return nullptr;
}
const tlv_spec* scan_tlv(std::uint16_t tag) {
  for (const auto& t : all_tlvs())
    if (t.tag == tag) return &t;
  return nullptr;
}
const status_spec* scan_status(std::uint32_t v) {
  for (const auto& s : all_statuses())
    if (s.value == v) return &s;
  return nullptr;
}

// SMPP v3.4 section 5.1.2.1, every row: request id, name, response?, versions.
TEST(protocol, command_ids_of_section_2) {
  struct row {
    std::uint32_t id;
    const char* name;
    bool has_response;
    std::uint8_t versions;
  };
  const std::uint8_t all = v33 | v34 | v50;
  const row rows[] = {
      {0x00000001, "bind_receiver", true, all},         {0x00000002, "bind_transmitter", true, all},
      {0x00000003, "query_sm", true, all},              {0x00000004, "submit_sm", true, all},
      {0x00000005, "deliver_sm", true, all},            {0x00000006, "unbind", true, all},
      {0x00000007, "replace_sm", true, all},            {0x00000008, "cancel_sm", true, all},
      {0x00000009, "bind_transceiver", true, v34 | v50}, {0x0000000B, "outbind", false, v34 | v50},
      {0x00000015, "enquire_link", true, all},          {0x00000021, "submit_multi", true, all},
      {0x00000022, "param_retrieve", true, v33},        {0x00000023, "query_last_msgs", true, v33},
      {0x00000024, "query_msg_details", true, v33},     {0x00000102, "alert_notification", false, v34 | v50},
      {0x00000103, "data_sm", true, v34 | v50},         {0x00000111, "broadcast_sm", true, v50},
      {0x00000112, "query_broadcast_sm", true, v50},    {0x00000113, "cancel_broadcast_sm", true, v50},
  };
  std::size_t expected = 1;  // generic_nack
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    const pdu_spec* req = find_pdu(r.id);
    ASSERT_NE(req, nullptr);
    EXPECT_EQ(req->name, r.name);
    EXPECT_EQ(req->versions, r.versions);
    EXPECT_EQ(command_name(r.id), r.name);
    const pdu_spec* resp = find_pdu(r.id | response_bit);
    EXPECT_EQ(resp != nullptr, r.has_response);
    if (resp) {
      EXPECT_EQ(resp->name, std::string(r.name) + "_resp");
      EXPECT_EQ(resp->versions, r.versions);
    }
    expected += r.has_response ? 2 : 1;
  }
  ASSERT_NE(find_pdu(0x80000000), nullptr);
  EXPECT_EQ(find_pdu(0x80000000)->name, "generic_nack");
  EXPECT_EQ(all_pdus().size(), expected);
  EXPECT_EQ(command_name(0x00000000), "unknown");
  EXPECT_EQ(command_name(0x0000000A), "unknown");
  EXPECT_EQ(command_name(0x8000000B), "unknown");  // outbind has no response
  EXPECT_EQ(command_name(0x01000001), "unknown");  // vendor (Huawei SMPP+)
}

TEST(protocol, enum_values_match_the_table) {
  EXPECT_EQ(command_name(static_cast<std::uint32_t>(command_id::submit_multi_resp)), "submit_multi_resp");
  EXPECT_EQ(command_name(static_cast<std::uint32_t>(command_id::cancel_broadcast_sm_resp)), "cancel_broadcast_sm_resp");
  EXPECT_EQ(status_name(static_cast<std::uint32_t>(command_status::throttled)), "ESME_RTHROTTLED");
  EXPECT_EQ(status_name(static_cast<std::uint32_t>(command_status::invalid_password)), "ESME_RINVPASWD");
  EXPECT_EQ(status_name(static_cast<std::uint32_t>(command_status::message_queue_full)), "ESME_RMSGQFUL");
  EXPECT_EQ(status_name(static_cast<std::uint32_t>(command_status::submit_failed)), "ESME_RSUBMITFAIL");
  EXPECT_EQ(find_tlv(static_cast<std::uint16_t>(tlv_tag::congestion_state))->name, "congestion_state");
  EXPECT_EQ(find_tlv(static_cast<std::uint16_t>(tlv_tag::network_error_code))->name, "network_error_code");
}

TEST(protocol, lookups_agree_with_a_linear_scan) {
  for (std::uint32_t tag = 0; tag <= 0xFFFF; ++tag)
    ASSERT_EQ(find_tlv(static_cast<std::uint16_t>(tag)), scan_tlv(static_cast<std::uint16_t>(tag))) << tag;
  for (std::uint32_t v = 0; v < 0x2000; ++v) {
    ASSERT_EQ(find_status(v), scan_status(v)) << v;
    ASSERT_EQ(find_pdu(v), scan_pdu(v)) << v;
    ASSERT_EQ(find_pdu(v | response_bit), scan_pdu(v | response_bit)) << v;
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t v = rng();
    ASSERT_EQ(find_pdu(v), scan_pdu(v)) << v;
    ASSERT_EQ(find_status(v), scan_status(v)) << v;
  }
  for (const auto& p : all_pdus()) EXPECT_EQ(find_pdu(p.name), &p);
  for (const auto& t : all_tlvs()) EXPECT_EQ(find_tlv(t.name), &t);
  EXPECT_EQ(find_pdu("submit_sm_rsp"), nullptr);
  EXPECT_EQ(find_tlv("no_such_tlv"), nullptr);
}

TEST(protocol, names_and_values_are_unique) {
  std::set<std::uint32_t> ids;
  std::set<std::string_view> names;
  for (const auto& p : all_pdus()) {
    EXPECT_TRUE(ids.insert(p.id).second) << p.name;
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
  }
  std::set<std::uint16_t> tags;
  names.clear();
  for (const auto& t : all_tlvs()) {
    EXPECT_TRUE(tags.insert(t.tag).second) << t.name;
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
  }
  std::set<std::uint32_t> values;
  names.clear();
  for (const auto& s : all_statuses()) {
    EXPECT_TRUE(values.insert(s.value).second) << s.name;
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_FALSE(s.description.empty()) << s.name;
  }
}

TEST(protocol, field_layouts_are_well_formed) {
  for (const auto& p : all_pdus()) {
    SCOPED_TRACE(std::string(p.name));
    ASSERT_LE(p.fields.size(), max_fields);
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < p.fields.size(); ++i) {
      const field_spec& f = p.fields[i];
      EXPECT_FALSE(f.name.empty());
      EXPECT_TRUE(names.insert(f.name).second) << f.name;
      const bool last = i + 1 == p.fields.size();
      switch (f.type) {
        case field_type::c_string:
        case field_type::dest_list:
        case field_type::unsuccess_list:
        case field_type::c_string_list:
          EXPECT_GE(f.max_len, 2) << f.name;
          break;
        case field_type::time:
          EXPECT_EQ(f.max_len, 17) << f.name;
          break;
        case field_type::sm_length:
          ASSERT_FALSE(last);
          EXPECT_EQ(p.fields[i + 1].type, field_type::octet_string);
          EXPECT_EQ(p.sm_length_index, static_cast<std::int8_t>(i));
          break;
        case field_type::octet_string:
          ASSERT_GT(i, 0u);
          EXPECT_EQ(p.fields[i - 1].type, field_type::sm_length);
          EXPECT_EQ(f.max_len, 254);  // SMPP v3.4 sections 5.2.21 and 5.3.2.32
          break;
        case field_type::count: {
          ASSERT_FALSE(last);
          const auto next = p.fields[i + 1].type;
          EXPECT_TRUE(next == field_type::dest_list || next == field_type::unsuccess_list ||
                      next == field_type::c_string_list);
          break;
        }
        default:
          EXPECT_EQ(f.max_len, 0) << f.name;
      }
      if (f.type == field_type::dest_list || f.type == field_type::unsuccess_list || f.type == field_type::c_string_list) {
        ASSERT_GT(i, 0u);
        EXPECT_EQ(p.fields[i - 1].type, field_type::count);
      }
    }
    auto index_of = [&](std::string_view n) -> int {
      for (std::size_t i = 0; i < p.fields.size(); ++i)
        if (p.fields[i].name == n) return static_cast<int>(i);
      return no_field;
    };
    EXPECT_EQ(p.message_id_index, index_of("message_id"));
    EXPECT_EQ(p.esm_class_index, index_of("esm_class"));
    EXPECT_EQ(p.data_coding_index, index_of("data_coding"));
    if (p.versions == v33) {
      EXPECT_FALSE(p.tlvs_allowed);  // SMPP v3.3 has no TLVs
    }
  }
}

// SMPP v3.4 section 4 spot checks: the layouts that differ between sources.
TEST(protocol, disputed_layouts_follow_smpp_md) {
  auto layout = [](std::string_view pdu_name) {
    std::string s;
    for (const auto& f : find_pdu(pdu_name)->fields) s += std::string(f.name) + ":" + std::to_string(f.max_len) + " ";
    return s;
  };
  EXPECT_EQ(layout("bind_transmitter"),
            "system_id:16 password:9 system_type:13 interface_version:0 addr_ton:0 addr_npi:0 address_range:41 ");
  EXPECT_EQ(layout("replace_sm"),
            "message_id:65 source_addr_ton:0 source_addr_npi:0 source_addr:21 schedule_delivery_time:17 "
            "validity_period:17 registered_delivery:0 sm_default_msg_id:0 sm_length:0 short_message:254 ");
  EXPECT_EQ(layout("data_sm"),
            "service_type:6 source_addr_ton:0 source_addr_npi:0 source_addr:65 dest_addr_ton:0 dest_addr_npi:0 "
            "destination_addr:65 esm_class:0 registered_delivery:0 data_coding:0 ");
  EXPECT_EQ(layout("cancel_sm"),
            "service_type:6 message_id:65 source_addr_ton:0 source_addr_npi:0 source_addr:21 dest_addr_ton:0 "
            "dest_addr_npi:0 destination_addr:21 ");
  EXPECT_EQ(layout("broadcast_sm"),
            "service_type:6 source_addr_ton:0 source_addr_npi:0 source_addr:21 message_id:65 priority_flag:0 "
            "schedule_delivery_time:17 validity_period:17 replace_if_present_flag:0 data_coding:0 "
            "sm_default_msg_id:0 ");
  EXPECT_EQ(layout("alert_notification"),
            "source_addr_ton:0 source_addr_npi:0 source_addr:65 esme_addr_ton:0 esme_addr_npi:0 esme_addr:65 ");
  EXPECT_EQ(find_pdu("submit_sm")->fields.size(), 18u);
  EXPECT_EQ(find_pdu("deliver_sm")->fields.data(), find_pdu("submit_sm")->fields.data());
  for (const char* header_only : {"generic_nack", "unbind", "unbind_resp", "enquire_link", "enquire_link_resp",
                                  "cancel_sm_resp", "replace_sm_resp", "cancel_broadcast_sm_resp"})
    EXPECT_TRUE(find_pdu(header_only)->fields.empty()) << header_only;
}

TEST(protocol, tlvs_of_section_4) {
  const std::map<std::uint16_t, std::pair<std::string_view, tlv_type>> spot{
      {0x0005, {"dest_addr_subunit", tlv_type::int1}},    {0x0008, {"dest_telematics_id", tlv_type::int2}},
      {0x0017, {"qos_time_to_live", tlv_type::int4}},     {0x001D, {"additional_status_info_text", tlv_type::c_string}},
      {0x001E, {"receipted_message_id", tlv_type::c_string}}, {0x0202, {"source_subaddress", tlv_type::octets}},
      {0x020C, {"sar_msg_ref_num", tlv_type::int2}},      {0x0210, {"sc_interface_version", tlv_type::int1}},
      {0x0381, {"callback_num", tlv_type::octets}},       {0x0423, {"network_error_code", tlv_type::composite}},
      {0x0424, {"message_payload", tlv_type::octets}},    {0x0427, {"message_state", tlv_type::int1}},
      {0x0428, {"congestion_state", tlv_type::int1}},     {0x0604, {"broadcast_rep_num", tlv_type::int2}},
      {0x0606, {"broadcast_area_identifier", tlv_type::composite}}, {0x0607, {"broadcast_error_status", tlv_type::int4}},
      {0x0613, {"dest_addr_np_country", tlv_type::octets}}, {0x1204, {"ms_validity", tlv_type::composite}},
      {0x130C, {"alert_on_message_delivery", tlv_type::empty}}, {0x1383, {"its_session_info", tlv_type::composite}},
  };
  for (const auto& [tag, expect] : spot) {
    const tlv_spec* t = find_tlv(tag);
    ASSERT_NE(t, nullptr) << tag;
    EXPECT_EQ(t->name, expect.first);
    EXPECT_EQ(t->type, expect.second) << t->name;
  }
  EXPECT_EQ(find_tlv(0x0424)->max_len, 65535);
  EXPECT_EQ(find_tlv(0x001E)->max_len, 65);
  EXPECT_EQ(find_tlv(0x0604)->min_len, 1);  // W R read 1 octet, N 2 (the sources disagree)
  EXPECT_EQ(find_tlv(0x0604)->max_len, 2);
  std::size_t standard = 0;
  for (const auto& t : all_tlvs()) {
    SCOPED_TRACE(std::string(t.name));
    EXPECT_LE(t.min_len, t.max_len);
    switch (t.type) {
      case tlv_type::int1: EXPECT_EQ(t.max_len, 1); break;
      case tlv_type::int2: EXPECT_EQ(t.max_len, 2); break;
      case tlv_type::int4: EXPECT_EQ(t.max_len, 4); break;
      case tlv_type::c_string: EXPECT_GE(t.min_len, 1); break;
      default: break;
    }
    if (t.vendor.empty()) {
      ++standard;
      EXPECT_NE(t.versions, 0);
      EXPECT_LT(t.tag, 0x1400);
    } else {
      EXPECT_EQ(t.versions, 0);
      EXPECT_GE(t.tag, 0x1400);  // vendor range, SMPP v3.4 section 5.3
      EXPECT_LE(t.tag, 0x3FFF);
    }
  }
  EXPECT_EQ(standard, 64u);
}

// Vendor TLVs and statuses mean different things at different providers: the provider profiles
// name them (tests/profile/), the global table does not.
TEST(protocol, no_vendor_entries_in_the_global_table) {
  for (std::uint16_t tag : {0x1401, 0x1402}) EXPECT_EQ(find_tlv(tag), nullptr) << tag;
  for (std::uint32_t v : {0x400u, 0x401u, 0x402u}) {
    EXPECT_EQ(find_status(v), nullptr) << v;
    EXPECT_EQ(status_name(v), "");
  }
  for (const auto& t : all_tlvs()) EXPECT_TRUE(t.vendor.empty()) << t.name;
  for (const auto& s : all_statuses()) EXPECT_TRUE(s.vendor.empty()) << s.name;
}

TEST(protocol, statuses_of_section_5) {
  EXPECT_EQ(status_name(0x00), "ESME_ROK");
  EXPECT_EQ(status_name(0x15), "ESME_RINVSERTYP");  // SMPP v3.4 5.1.3; some other tables say 0x16
  EXPECT_EQ(status_name(0x16), "");
  EXPECT_EQ(status_name(0x50), "ESME_RINVDSTTON");
  EXPECT_EQ(status_name(0x51), "ESME_RINVDSTNPI");
  EXPECT_EQ(status_name(0x53), "ESME_RINVSYSTYP");
  EXPECT_EQ(status_name(0x54), "ESME_RINVREPFLAG");
  EXPECT_EQ(status_name(0x4A), "");
  EXPECT_EQ(status_name(0xFE), "ESME_RDELIVERYFAILURE");
  EXPECT_EQ(status_name(0x112), "ESME_RINVBCASTCHANIND");
  EXPECT_EQ(status_name(0x113), "");
  EXPECT_EQ(status_name(0xFFFFFFFF), "");
  std::size_t standard = 0;
  for (const auto& s : all_statuses()) standard += s.vendor.empty();
  EXPECT_EQ(standard, 67u);  // every standard status of SMPP v3.4 and v5.0
}

}  // namespace
}  // namespace smppscope::decoder
