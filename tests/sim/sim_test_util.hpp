// Helpers for the simulator and load generator tests: a simulator on a free loopback port in a
// background thread, and a blocking SMPP client (poll() with timeouts, the decoder's framer).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/protocol.hpp"
#include "smppscope/sim/simulator.hpp"

namespace smppscope::sim::test {

using bytes = std::vector<std::uint8_t>;
using decoder::command_id;
using namespace std::chrono_literals;

inline std::uint32_t cid(command_id c) { return static_cast<std::uint32_t>(c); }

// A simulator listening on 127.0.0.1:<free port>, run on its own thread.
class running_sim {
 public:
  explicit running_sim(simulator_options o = {}) {
    o.host = "127.0.0.1";
    o.port = 0;
    if (o.log == stderr) o.log = std::getenv("SMPPSCOPE_TEST_LOG") ? stderr : nullptr;  // else the test's own
    sim_ = std::make_unique<simulator>(std::move(o));
    sim_->start();
    thread_ = std::thread([this] { sim_->run(); });
  }
  ~running_sim() {
    sim_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return sim_->port(); }
  simulator& sim() { return *sim_; }

 private:
  std::unique_ptr<simulator> sim_;
  std::thread thread_;
};

// One decoded PDU together with the bytes it points into.
struct received {
  received() = default;
  received(const received&) = delete;  // p's spans point into frame: move only
  received(received&&) = default;
  received& operator=(received&&) = default;
  bytes frame;
  decoder::pdu p{};
  decoder::decode_error err{};
  std::uint32_t id() const { return p.hdr.command_id; }
  std::uint32_t status() const { return p.hdr.command_status; }
  std::uint32_t seq() const { return p.hdr.sequence_number; }
  std::string_view text(std::string_view field) const {
    const auto* f = p.field(field);
    return f ? f->text() : std::string_view{};
  }
  std::uint32_t integer(std::string_view field) const {
    const auto* f = p.field(field);
    return f ? f->integer : 0xFFFFFFFFu;
  }
};

class smpp_client {
 public:
  explicit smpp_client(std::uint16_t port) : sock_(ctx_) {
    sock_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    sock_.set_option(boost::asio::ip::tcp::no_delay(true));
  }

  void send(const bytes& b) { boost::asio::write(sock_, boost::asio::buffer(b)); }
  void send(const decoder::pdu_builder& b) { send(b.bytes()); }

  // The next PDU, or nullopt when none arrives in time or the connection closed.
  std::optional<received> read(std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!queue_.empty()) {
        auto r = std::move(queue_.front());
        queue_.erase(queue_.begin());
        r.err = decoder::decode(r.frame, r.p);  // spans point into r.frame, which moved with r
        return r;
      }
      if (eof_) return std::nullopt;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd pfd{sock_.native_handle(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      std::uint8_t buf[65536];
      const ssize_t n = ::recv(sock_.native_handle(), buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      framer_.feed({buf, static_cast<std::size_t>(n)}, [&](std::span<const std::uint8_t> f) {
        received r;
        r.frame.assign(f.begin(), f.end());
        queue_.push_back(std::move(r));
      });
    }
  }

  // Reads until a PDU with this command_id arrives (others are collected in `skipped`).
  std::optional<received> read_until(std::uint32_t id, std::chrono::milliseconds timeout = 3000ms,
                                     std::vector<received>* skipped = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto r = read(left);
      if (!r) return std::nullopt;
      if (r->id() == id) return r;
      if (skipped) skipped->push_back(std::move(*r));
    }
  }

  // True when the peer closes the connection within `timeout` (PDUs before the close are dropped).
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (!read(left)) {
        if (!eof_) return false;
      }
    }
    return true;
  }

  // bind_<kind> and its response.
  received bind(command_id kind = command_id::bind_transceiver, std::string_view system_id = "esme",
                std::string_view password = "secret") {
    send(decoder::pdu_builder(kind, next_seq())
             .set("system_id", system_id)
             .set("password", password)
             .set("interface_version", 0x34u));
    auto r = read();
    if (!r) throw std::runtime_error("no bind response");
    return std::move(*r);
  }

  std::uint32_t next_seq() { return ++seq_; }

 private:
  boost::asio::io_context ctx_;
  boost::asio::ip::tcp::socket sock_;
  decoder::framer framer_;
  std::vector<received> queue_;
  bool eof_ = false;
  std::uint32_t seq_ = 0;
};

inline decoder::pdu_builder submit(std::uint32_t seq, std::string_view text = "Hello", std::uint32_t registered_delivery = 0,
                                   std::string_view src = "12345", std::string_view dst = "447700900123") {
  decoder::pdu_builder b(command_id::submit_sm, seq);
  b.set("source_addr_ton", 1u).set("source_addr_npi", 1u).set("source_addr", src);
  b.set("dest_addr_ton", 1u).set("dest_addr_npi", 1u).set("destination_addr", dst);
  b.set("registered_delivery", registered_delivery);
  b.short_message({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return b;
}

// A throw-away self-signed certificate for localhost / 127.0.0.1 (openssl CLI).
struct temp_cert {
  std::filesystem::path dir, cert, key;
  temp_cert() {
    char tmpl[] = "/tmp/smppscope-sim-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost "
                            "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                            key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
  }
  ~temp_cert() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace smppscope::sim::test
