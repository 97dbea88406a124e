// Vendor values in the PDU JSON: a profile that names them gives the provider's names, types and
// meanings (status_meaning, receipt_err_meaning); without one they stay raw with a hint of the
// shipped profiles that name them.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/profile/loader.hpp"

namespace smppscope::profile {
namespace {

namespace d = smppscope::decoder;
namespace json = boost::json;

json::object render(const std::vector<std::uint8_t>& wire, const d::vendor_names* names) {
  d::pdu p;
  EXPECT_FALSE(d::decode(wire, p));
  d::json_context ctx;
  ctx.direction = "smsc_to_esme";
  ctx.vendor = names;
  std::string out;
  d::append_pdu_json(out, p, wire, ctx);
  json::error_code ec;
  json::value v = json::parse(out, ec);
  EXPECT_FALSE(ec) << out;
  return v.is_object() ? v.as_object() : json::object{};
}

std::vector<std::uint8_t> ovh_receipt() {
  const std::string text = "id:abc sub:001 dlvrd:000 submit date:2401011200 done date:2401011201 stat:UNDELIV err:102 text:hello";
  return d::pdu_builder(d::command_id::deliver_sm, 7)
      .set("esm_class", 0x04)
      .short_message(d::bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))
      .tlv_text(d::tlv_tag::receipted_message_id, "abc")
      .tlv_text(0x1401, "ovh-out-1")
      .bytes();
}

const json::object* tlv_by_tag(const json::object& e, std::uint64_t tag) {
  for (const auto& t : e.at("tlvs").as_array())
    if (t.as_object().at("tag").to_number<std::uint64_t>() == tag) return &t.as_object();
  return nullptr;
}

d::vendor_names with_hints(const d::vendor_names* base) {
  d::vendor_names n = base ? *base : d::vendor_names{};
  n.hint_tlvs = builtin_vendor_tlv_rows();
  n.hint_statuses = builtin_vendor_status_rows();
  return n;
}

TEST(vendor_json, ovhcloud_names_its_tlv_and_explains_the_err_code) {
  const profile_ptr ovh = find_builtin("ovhcloud");
  const d::vendor_names names = with_hints(&ovh->names);
  const json::object e = render(ovh_receipt(), &names);
  const json::object* t = tlv_by_tag(e, 0x1401);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->at("name").as_string(), "outgoing_id");
  EXPECT_EQ(t->at("value").as_string(), "ovh-out-1");  // typed as the profile says: c_string
  EXPECT_FALSE(t->contains("vendor_hint"));
  EXPECT_EQ(e.at("receipt").as_object().at("err").as_string(), "102");
  EXPECT_EQ(e.at("receipt_err_meaning").as_string(), "Invalid GSM7 Coding");
}

TEST(vendor_json, mensatek_explains_its_own_codes) {
  const profile_ptr m = find_builtin("mensatek");
  const json::object e = render(ovh_receipt(), &m->names);
  EXPECT_EQ(e.at("receipt_err_meaning").as_string(), "Usuario dado de baja");  // code 102 there
  EXPECT_EQ(tlv_by_tag(e, 0x1401)->at("name").as_string(), "vendor_0x1401");
}

TEST(vendor_json, without_a_naming_profile_vendor_values_are_raw_with_a_hint) {
  const d::vendor_names names = with_hints(&generic_profile()->names);
  const json::object e = render(ovh_receipt(), &names);
  const json::object* t = tlv_by_tag(e, 0x1401);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->at("name").as_string(), "vendor_0x1401");
  EXPECT_EQ(t->at("value").as_string(), "6f76682d6f75742d3100");  // raw hex
  ASSERT_TRUE(t->contains("vendor_hint"));
  EXPECT_EQ(json::serialize(t->at("vendor_hint")), "[\"ovhcloud\"]");
  EXPECT_FALSE(e.contains("receipt_err_meaning"));

  const auto resp = d::pdu_builder(d::command_id::submit_sm_resp, 8, 0x401).set("message_id", "").bytes();
  const json::object r = render(resp, &names);
  EXPECT_EQ(r.at("status_name").as_string(), "");  // docs/INTERFACE.md: "" for a value the table lacks
  EXPECT_EQ(json::serialize(r.at("status_vendor_hint")), "[\"ovhcloud\"]");
  EXPECT_FALSE(r.contains("status_meaning"));
}

TEST(vendor_json, with_the_profile_a_vendor_status_gets_name_and_meaning) {
  const profile_ptr ovh = find_builtin("ovhcloud");
  const auto resp = d::pdu_builder(d::command_id::submit_sm_resp, 8, 0x401).set("message_id", "").bytes();
  const json::object r = render(resp, &ovh->names);
  EXPECT_EQ(r.at("status_name").as_string(), "ESME_RUNSDATACODING");
  EXPECT_EQ(r.at("status_meaning").as_string(), "Data Coding unsupported");
  EXPECT_FALSE(r.contains("status_vendor_hint"));
  // A standard status is explained from the protocol table.
  const auto thr = d::pdu_builder(d::command_id::submit_sm_resp, 9, 0x58).set("message_id", "").bytes();
  EXPECT_EQ(render(thr, &ovh->names).at("status_name").as_string(), "ESME_RTHROTTLED");
  EXPECT_TRUE(render(thr, &ovh->names).contains("status_meaning"));
}

TEST(vendor_json, no_context_means_the_specification_alone) {
  const json::object e = render(ovh_receipt(), nullptr);
  EXPECT_EQ(tlv_by_tag(e, 0x1401)->at("name").as_string(), "vendor_0x1401");
  EXPECT_FALSE(tlv_by_tag(e, 0x1401)->contains("vendor_hint"));
  EXPECT_FALSE(e.contains("receipt_err_meaning"));
}

}  // namespace
}  // namespace smppscope::profile
