// Joins the parts of concatenated messages (UDH 8/16-bit or SAR TLVs, 3GPP TS 23.040 9.2.3.24) into
// one message. Parts are keyed by (session, direction, source, destination, numbering kind,
// reference). Time is a parameter: no clock inside. Memory is bounded: at most max_pending
// messages and max_bytes buffered octets; beyond that the oldest pending message is evicted and
// counted. Not thread-safe: one reassembler per analysis thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/text.hpp"

namespace smppscope::decoder {

struct part_key {
  std::uint64_t session = 0;
  std::uint8_t direction = 0;  // analysis::direction value
  std::string_view source;       // source_addr
  std::string_view destination;  // destination_addr
};

struct reassembly_id {
  std::uint64_t session = 0;
  std::uint8_t direction = 0;
  std::string source, destination;
  std::uint16_t ref = 0;
  std::uint8_t total = 0;
  concat_source numbering = concat_source::udh_8bit;
};

struct reassembled_message {
  reassembly_id id;
  std::uint8_t data_coding = 0;     // of part 1
  decoded_text text;                // all parts joined, then decoded once (a UCS2 surrogate pair or
                                    // GSM7 escape split across parts decodes correctly)
  std::int64_t first_us = 0, last_us = 0;  // arrival of the first and the last part
};

struct incomplete_message {
  reassembly_id id;
  std::vector<std::uint8_t> missing;  // seq numbers not received, ascending
  std::uint8_t received = 0;
  std::int64_t first_us = 0, last_us = 0;
};

struct reassembler_limits {
  std::size_t max_pending = 1024;           // messages waiting for parts
  std::size_t max_bytes = 16u << 20;        // octets buffered over all pending messages
  std::int64_t timeout_us = 60'000'000;     // since the last part of a message arrived
};

enum class part_status : std::uint8_t {
  not_concatenated,  // the message has no (valid) concat numbering: nothing to join
  pending,           // stored, parts still missing
  completed,         // this part completed the message
  duplicate,         // that seq was already received: ignored
};

class reassembler {
 public:
  explicit reassembler(reassembler_limits limits = {}) : limits_(limits) {}

  struct add_result {
    part_status status = part_status::not_concatenated;
    std::optional<reassembled_message> message;  // when completed (a 1-part message completes at once)
  };
  // Adds the message of one PDU. `opts` chooses the GSM7 packing (per session).
  add_result add(const part_key& key, const message& m, std::int64_t now_us, const text_options& opts = {});

  // Removes and returns every pending message whose last part arrived more than timeout_us
  // before now_us, with the seq numbers still missing.
  std::vector<incomplete_message> expire(std::int64_t now_us);
  // Removes and returns every pending message of `session` (it ended: no part can follow).
  std::vector<incomplete_message> take_session(std::uint64_t session);

  std::size_t pending() const noexcept { return entries_.size(); }
  std::size_t buffered_bytes() const noexcept { return bytes_; }
  std::uint64_t evicted() const noexcept { return evicted_; }      // dropped for max_pending / max_bytes / a reused ref
  std::uint64_t duplicates() const noexcept { return duplicates_; }
  std::uint64_t completed() const noexcept { return completed_; }
  std::uint64_t expired() const noexcept { return expired_; }
  const reassembler_limits& limits() const noexcept { return limits_; }

 private:
  struct part {
    std::vector<std::uint8_t> octets;  // text octets (after the UDH)
    unsigned fill_bits = 0;
    std::uint8_t data_coding = 0;
    bool present = false;
    std::uint8_t locking_shift = 0, single_shift = 0;  // GSM7 national language tables of its UDH
  };
  struct entry {
    reassembly_id id;
    std::vector<part> parts;  // index seq - 1
    std::uint8_t received = 0;
    std::size_t bytes = 0;
    std::int64_t first_us = 0, last_us = 0;
    std::uint64_t order = 0;  // creation order, for eviction
  };

  reassembled_message join(entry& e, const text_options& opts) const;
  void erase(std::unordered_map<std::string, entry>::iterator it);
  void evict_oldest(const std::string* keep);
  template <class Pred>
  std::vector<incomplete_message> take_if(Pred pred);

  reassembler_limits limits_;
  std::unordered_map<std::string, entry> entries_;
  std::map<std::uint64_t, std::string> order_;  // creation order -> key
  std::uint64_t next_order_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t evicted_ = 0, duplicates_ = 0, completed_ = 0, expired_ = 0;
};

}  // namespace smppscope::decoder
