// Which end of a captured TCP stream is the ESME (or CMPP SP): decided from the commands each
// side sends, for captures where the handshake was not seen. Shared by `decode` and the
// capture-file source so both name the directions alike.
#pragma once

#include <cstdint>

#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace smppscope::analysis::detail {

// Who sends this SMPP command: +1 the ESME, -1 the SMSC, 0 either (SMPP v3.4 section 4).
inline int esme_sender(std::uint32_t id) {
  using decoder::command_id;
  const bool resp = decoder::is_response(id);
  int who = 0;
  switch (static_cast<command_id>(id & ~decoder::response_bit)) {
    case command_id::bind_receiver:
    case command_id::bind_transmitter:
    case command_id::bind_transceiver:
    case command_id::submit_sm:
    case command_id::submit_multi:
    case command_id::query_sm:
    case command_id::cancel_sm:
    case command_id::replace_sm:
    case command_id::broadcast_sm:
    case command_id::query_broadcast_sm:
    case command_id::cancel_broadcast_sm:
      who = 1;
      break;
    case command_id::deliver_sm:
    case command_id::alert_notification:
    case command_id::outbind:
      who = -1;
      break;
    default:
      return 0;  // unbind, enquire_link, data_sm, generic_nack: both ways
  }
  return resp ? -who : who;
}

// Who sends this CMPP command: +1 the SP, -1 the ISMG, 0 either (CMPP 2.0 / 3.0 section 7).
inline int cmpp_sp_sender(std::uint32_t id) {
  namespace cmpp = decoder::cmpp;
  int who = 0;
  switch (static_cast<cmpp::command_id>(id & ~cmpp::response_bit)) {
    case cmpp::command_id::connect:
    case cmpp::command_id::submit:
    case cmpp::command_id::query:
    case cmpp::command_id::cancel: who = 1; break;
    case cmpp::command_id::deliver: who = -1; break;
    default: return 0;
  }
  return cmpp::is_response(id) ? -who : who;
}

}  // namespace smppscope::analysis::detail
