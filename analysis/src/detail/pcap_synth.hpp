// Synthesised Ethernet/IP/TCP packets in the classic pcap format or in pcapng (internal to
// analysis). pcapng (draft-ietf-opsawg-pcapng) is written as one Section Header Block, one
// Interface Description Block (LINKTYPE_ETHERNET, microsecond timestamps: the only link type we
// synthesise) and one Enhanced Packet Block per packet, which may carry opt_comment options:
// Wireshark shows them as frame.comment, in the packet list and in Expert Info.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "smppscope/analysis/pcap_writer.hpp"
#include "smppscope/analysis/tap.hpp"

namespace smppscope::analysis::detail {

// Where pcap octets go.
class byte_out {
 public:
  virtual ~byte_out() = default;
  virtual bool write(const void* p, std::size_t n) = 0;
};

class string_out final : public byte_out {
 public:
  explicit string_out(std::string& s) : s_(s) {}
  bool write(const void* p, std::size_t n) override {
    s_.append(static_cast<const char*>(p), n);
    return true;
  }
 private:
  std::string& s_;
};

class file_out final : public byte_out {
 public:
  explicit file_out(std::FILE* f) : f_(f) {}
  bool write(const void* p, std::size_t n) override { return std::fwrite(p, 1, n, f_) == n; }
 private:
  std::FILE* f_;
};

inline constexpr std::size_t pcap_file_header_size = 24;
inline constexpr std::size_t pcap_record_header_size = 16;
inline constexpr std::uint32_t pcap_snaplen = 262144;

// Comments per packet and octets per comment are capped, so a block stays small whatever the
// analysis says; what is cut is marked ("..." at the end, "(N more comments)").
inline constexpr std::size_t max_comment_octets = 1024;
inline constexpr std::size_t max_comments_per_packet = 16;

// Octets of the file header: classic 24; pcapng the SHB and IDB.
std::size_t file_header_size(pcap_format f) noexcept;
// Writes the file header: the 24-octet classic pcap header (LINKTYPE_ETHERNET, microsecond
// resolution) or, for pcapng, the Section Header Block and the one Interface Description Block.
bool write_file_header(byte_out& out, pcap_format f = pcap_format::pcap);

// `in` as pcapng comment text: valid UTF-8 (an invalid sequence becomes U+FFFD), control
// characters other than tab and newline as spaces, at most max_comment_octets octets (cut at a
// character boundary, "..." marks the cut). Any input is fine (a property test feeds this).
std::string comment_text(std::string_view in);
// One Enhanced Packet Block (interface 0) holding `frame`, with `comments` as opt_comment options
// (each passed through comment_text; beyond max_comments_per_packet one "(N more comments)").
void append_epb(std::string& out, std::int64_t ts_us, std::span<const std::uint8_t> frame,
                std::span<const std::string> comments);

// One TCP connection, as seen on the wire between `client` and `server`.
struct tcp_leg {
  endpoint client, server;
  std::uint32_t next_seq[2] = {0, 0};  // [0] client -> server, [1] server -> client
  std::uint32_t unacked[2] = {0, 0};   // octets sent by that side not yet acknowledged
  std::uint16_t ip_id[2] = {0, 0};
  bool established = false;
  bool closed = false;
};

// Builds packets and writes them as pcap records or pcapng blocks. The payload buffer is reused.
class packet_writer {
 public:
  pcap_format format = pcap_format::pcap;
  // pcapng: comments for the last data segment of the next data() call, or the first packet of
  // the next fin() (then cleared). Ignored in classic pcap.
  std::vector<std::string> comments;

  // Returns false on a write error. `written` counts octets handed to `out`.
  bool handshake(byte_out& out, tcp_leg& leg, std::int64_t ts_us, std::uint32_t isn_client,
                 std::uint32_t isn_server);
  // Data from one side; split into segments that fit one IP packet. Acknowledges the peer's
  // data on the way, and emits a pure ACK from the peer when too much is unacknowledged, so
  // Wireshark's TCP analysis sees a sane window.
  bool data(byte_out& out, tcp_leg& leg, int side, std::int64_t ts_us,
            std::span<const std::uint8_t> payload);
  bool fin(byte_out& out, tcp_leg& leg, std::int64_t ts_us);
  // Advances sequence numbers as if the data had been written (capture paused).
  static void skip(tcp_leg& leg, int side, std::size_t n);

  std::uint64_t packets = 0;
  std::uint64_t written = 0;

 private:
  bool packet(byte_out& out, tcp_leg& leg, int side, std::int64_t ts_us, std::uint8_t flags,
              std::span<const std::uint8_t> payload);
  std::vector<std::uint8_t> buf_;
  std::string block_;
  std::span<const std::string> comments_now_;  // for the next packet() only
};

// Follows PDU boundaries in one direction of a byte stream, across chunk boundaries. With
// `redact`, replaces bind_* (esme_to_smsc) and outbind (smsc_to_esme) password octets with '*'
// in place. When the framing breaks (a command_length below 16 or above 16 MiB), it hunts for
// the next plausible header (hunt_plausible) octet by octet and carries on from there, so a
// bind after garbage is still masked. Bytes are never inserted or removed, only starred.
class pdu_scanner {
 public:
  // `p` is written only when `redact` is true. Any input is fine (a fuzz target feeds this).
  void feed(std::uint8_t* p, std::size_t n, direction d, bool redact) noexcept;
  // False while hunting for a header after the framing broke.
  bool in_sync() const noexcept { return phase_ != phase::hunt; }
  // Times the framing broke and hunting began.
  std::uint64_t resyncs() const noexcept { return resyncs_; }
  // Octets of a PDU header (1..15) at the end of what was fed; 0 on a PDU or body boundary.
  std::size_t partial_header() const noexcept { return phase_ == phase::header ? hdr_got_ : 0; }
  // Forget the position (octets were lost): hunt for the next header.
  void lost_octets() noexcept;
  // The next octet starts a PDU (the caller knows: one ring event is one PDU).
  void at_pdu_start() noexcept {
    phase_ = phase::header;
    hdr_got_ = 0;
  }

  // A header that hunting locks on to: command_length 16..64 KiB, a command id in the protocol
  // table, status 0 on a request, sequence_number at most 0x7FFFFFFF (SMPP 5.0 section 3.2).
  static bool hunt_plausible(const std::uint8_t* h16) noexcept;

 private:
  enum class phase : std::uint8_t { header, skip, system_id, password, hunt };
  void start_pdu(direction d) noexcept;  // hdr_ holds a whole header
  std::uint8_t hdr_[16] = {};
  std::size_t hdr_got_ = 0;
  std::uint32_t body_left_ = 0;
  std::uint32_t field_len_ = 0;
  std::uint64_t resyncs_ = 0;
  phase phase_ = phase::header;
};

// Synthetic endpoints for a session whose endpoints are not known.
void synthetic_endpoints(std::uint64_t session, endpoint& client, endpoint& proxy_client_side,
                         endpoint& proxy_upstream_side, endpoint& upstream);

}  // namespace smppscope::analysis::detail
