// What the load generator sends when it speaks CMPP (load --protocol cmpp2|cmpp3): the SP side of
// CMPP 2.0 / 3.0. load_options then mean: system_id = Source_Addr (the SP_Id, at most 6
// characters), password = the shared secret of the authenticator, source_addr = Src_Id (the SP's
// service code), destination_addr = Dest_terminal_Id, registered_delivery = Registered_Delivery 1
// (a status report per message, answered with DELIVER_RESP and matched by Msg_Id), enquire_link
// = ACTIVE_TEST, bind mode ignored (a CMPP connection carries both directions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smppscope::sim {

enum class cmpp_text : std::uint8_t {
  ascii,      // Msg_Fmt 0, one part
  ucs2,       // Msg_Fmt 8, one part
  gbk,        // Msg_Fmt 15, one part (converted with iconv)
  long_ucs2,  // Msg_Fmt 8, three parts with a UDH (TP_udhi 1, Pk_total 3)
};

// "ascii,gbk,ucs2,long"; nullopt on an unknown name (and *error says which).
std::optional<std::vector<cmpp_text>> parse_cmpp_mix(std::string_view spec, std::string* error = nullptr);

}  // namespace smppscope::sim
