// The ISMG simulator's protocol engine for one SP connection (CMPP 2.0 / 3.0). No I/O and no
// clock: it is fed framed PDUs and ticks with the current time, and appends what to send to a
// byte buffer. The connection (ismg_server.cpp) runs it on one thread; ismg_shared is reached
// from every thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/sim/detail/byte_buffer.hpp"
#include "smppscope/sim/detail/fifo.hpp"
#include "smppscope/sim/ismg.hpp"
#include "smsc_core.hpp"  // sim_time, sim_counters, session_counters

namespace smppscope::sim::detail {

namespace cmpp = decoder::cmpp;

// The decoder's framer set up for CMPP's 12-octet header, in stop mode (a peer whose framing
// breaks is not worth resyncing with).
inline decoder::framer cmpp_framer(std::uint32_t max_pdu = cmpp::max_pdu_size) noexcept {
  return decoder::framer(max_pdu, decoder::framer_mode::stop,
                         decoder::framer_layout{static_cast<std::uint32_t>(cmpp::header_size), &cmpp::known_command});
}

// Offset of a named field in a PDU of `spec`, from the table's widths (for fields before any list
// or content). Throws std::logic_error when the table has no such field.
std::size_t cmpp_field_offset(const cmpp::command_spec* spec, std::string_view name);

// Hands out Msg_Ids (CMPP 2.0 section 7): the time of the submit, the gateway code and a 16-bit
// sequence. The sequence restarts each second; when more than 65536 messages arrive in one
// second the time part moves on to the next second, so that no two Msg_Ids are ever equal (the
// time then runs ahead of the clock until the rate falls again). Thread-safe, lock-free.
class msg_id_source {
 public:
  explicit msg_id_source(std::uint32_t gateway_code) noexcept : gateway_(gateway_code & 0x3FFFFF) {}
  std::uint64_t next(std::int64_t unix_seconds) noexcept;
  std::uint32_t gateway() const noexcept { return gateway_; }
  // Msg_Id of second `unix_seconds` and sequence `seq` (UTC month, day, hour, minute, second).
  std::uint64_t make(std::int64_t unix_seconds, std::uint16_t seq) const noexcept;

 private:
  std::uint32_t gateway_;
  std::atomic<std::uint64_t> state_{0};  // (unix second << 16) | last sequence handed out
};

// Field positions of a version's PDUs, looked up by name once (the codec's table stays the
// single source).
struct cmpp_layout {
  explicit cmpp_layout(cmpp::version v);
  cmpp::version ver;
  const cmpp::command_spec *submit, *deliver;
  std::size_t s_registered_delivery, s_msg_fmt, s_tp_udhi, s_service_id, s_src_id, s_dest_ids, s_content, s_msg_id;
  std::vector<std::uint8_t> submit_resp;  // template: Sequence_Id, Msg_Id and Result patched
  std::size_t resp_msg_id_at = 0, resp_result_at = 0, resp_result_width = 0;
};

struct ismg_shared {
  explicit ismg_shared(const ismg_options& o);
  const ismg_options& opt;
  dlr_schedule schedule;
  msg_id_source ids;
  std::atomic<bool> stalled{false};
  sim_counters counters;
  cmpp_layout v20{cmpp::version::v20}, v30{cmpp::version::v30};
  const cmpp_layout& layout(cmpp::version v) const noexcept { return v == cmpp::version::v20 ? v20 : v30; }
  struct mo_text {
    std::vector<std::uint8_t> content;
    std::uint8_t msg_fmt;
  };
  std::vector<mo_text> mo_texts;  // ASCII, UCS2 and GBK, encoded once
};

// A status report waiting for its due time.
struct report_record {
  steady::time_point due{};
  std::uint64_t msg_id = 0;        // of the SUBMIT_RESP
  std::uint64_t position = 0;      // in the outcome schedule
  std::int64_t submit_unix = 0;
  std::uint8_t dest_len = 0, src_len = 0, service_len = 0;
  std::array<char, 32> dest{};     // the SUBMIT's Dest_terminal_Id
  std::array<char, 21> src{};      // the SUBMIT's Src_Id (the report's Dest_Id)
  std::array<char, 10> service{};  // Service_Id
};

class ismg_events {
 public:
  // A CONNECT was answered (status 0: accepted).
  virtual void on_connect(std::string_view source_addr, std::uint8_t client_version, std::uint32_t status) = 0;
 protected:
  ~ismg_events() = default;
};

class ismg_core {
 public:
  enum class verdict : std::uint8_t { keep, close_after_flush, close_now };

  ismg_core(ismg_shared& shared, ismg_events& events);

  verdict on_frame(cmpp::bytes_view frame, const sim_time& t, byte_buffer& out);
  void on_tick(const sim_time& t, byte_buffer& out);
  steady::time_point next_deadline() const noexcept;
  void on_handed_off() noexcept {
    unanswered_ -= in_out_;
    in_out_ = 0;
  }
  void publish_counters() noexcept;

  bool connected() const noexcept { return connected_; }
  cmpp::version version() const noexcept { return ver_; }
  const std::string& source_addr() const noexcept { return source_addr_; }
  std::uint64_t pdus_in() const noexcept { return pdus_in_total_; }
  std::uint64_t pdus_out() const noexcept { return pdus_out_total_; }
  std::size_t pending_reports() const noexcept { return reports_.size(); }
  bool holds_responses() const noexcept { return !held_.empty(); }

 private:
  struct reply_ctx;
  void on_connect(reply_ctx& r);
  void on_submit(reply_ctx& r);
  void on_query(reply_ctx& r);
  void on_cancel(reply_ctx& r);
  void on_active_test(reply_ctx& r);
  void on_terminate(reply_ctx& r);

  byte_buffer& reply_target(byte_buffer& out) noexcept { return shared_.opt.latency.count() > 0 ? delayed_ : out; }
  void finish_reply(reply_ctx& r);
  void write_submit_resp(byte_buffer& to, std::uint32_t seq, std::uint64_t msg_id, std::uint32_t result);
  void write_header_only(byte_buffer& to, std::uint32_t id, std::uint32_t seq);
  void write_report(const report_record& d, const sim_time& t, byte_buffer& out);
  void write_mo(const sim_time& t, byte_buffer& out);
  void write_deliver(byte_buffer& out, std::string_view dest_id, std::string_view service_id, std::string_view src_terminal,
                     std::uint8_t msg_fmt, std::uint8_t registered_delivery, cmpp::bytes_view content, const sim_time& t);
  bool take_rate_token(steady::time_point now) noexcept;
  std::uint32_t next_seq() noexcept {
    seq_ = seq_ >= 0x7FFFFFFF ? 1 : seq_ + 1;
    return seq_;
  }
  const cmpp_layout& layout() const noexcept { return shared_.layout(ver_); }

  ismg_shared& shared_;
  ismg_events& events_;
  cmpp::pdu pdu_{};
  bool connected_ = false;
  cmpp::version ver_;
  std::string source_addr_;
  std::uint32_t seq_ = 0;

  std::uint64_t unanswered_ = 0, in_out_ = 0;  // window: requests whose responses are not yet out
  double tokens_ = 0;
  steady::time_point tokens_at_{};
  std::uint64_t submits_seen_ = 0;
  std::uint64_t accepted_ = 0;  // SUBMITs answered Result 0 on this session
  std::uint64_t error_credit_ = 0;  // parts per million
  std::uint64_t report_position_ = 0;
  std::uint32_t smsc_sequence_ = 0;

  byte_buffer delayed_{4096};
  std::uint64_t delayed_base_ = 0;
  struct held {
    steady::time_point due;
    std::uint64_t end;
    std::uint32_t windowed;
    std::uint32_t pdus;
  };
  fifo<held> held_{64};
  fifo<report_record> reports_{256};
  steady::time_point last_in_{};
  steady::time_point next_active_test_ = steady::time_point::max();
  steady::time_point next_mo_ = steady::time_point::max();
  std::uint64_t mo_count_ = 0;

  // The encoded DELIVER for the last (Dest_Id, Service_Id, Src_terminal_Id, Msg_Fmt, kind):
  // reports to one SP repeat it, so only Sequence_Id, Msg_Id and Msg_Content are written anew.
  std::vector<std::uint8_t> deliver_cache_;
  std::string deliver_key_;
  std::size_t deliver_content_at_ = 0, deliver_msg_id_at_ = 0;
  std::int64_t time_minute_ = -1;
  std::array<char, 10> minute_text_{};

  session_counters c_;
  std::uint64_t pdus_in_total_ = 0, pdus_out_total_ = 0;
};

}  // namespace smppscope::sim::detail
