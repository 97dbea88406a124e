#include "smppscope/decoder/framer.hpp"

namespace smppscope::decoder {

std::string framer_error::message(std::uint32_t max_pdu) const {
  switch (code) {
    case framer_errc::none:
      return "no error";
    case framer_errc::length_too_small:
      return "command_length " + std::to_string(command_length) + " is below the " + std::to_string(min_length) + "-octet minimum at stream offset " +
             std::to_string(stream_offset);
    case framer_errc::length_too_large:
      return "command_length " + std::to_string(command_length) + " exceeds the maximum " + std::to_string(max_pdu) +
             " at stream offset " + std::to_string(stream_offset);
    case framer_errc::stream_gap:
      return "octets missing from the capture at stream offset " + std::to_string(stream_offset);
  }
  return "unknown framer error";
}

}  // namespace smppscope::decoder
