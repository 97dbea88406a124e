// TCP / TLS plumbing shared by the simulator and the load generator: one code path for both
// stream types, expected endings as values, and listener / TLS setup with errors that say what
// to fix.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

namespace smppscope::sim::detail {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

template <class S>
inline constexpr bool is_tls_stream = false;
template <class S>
inline constexpr bool is_tls_stream<ssl::stream<S>> = true;

template <class S>
tcp::socket& lowest(S& s) noexcept {
  if constexpr (is_tls_stream<S>)
    return s.next_layer();
  else
    return s;
}

template <class S>
asio::awaitable<boost::system::error_code> server_handshake(S& s) {
  if constexpr (is_tls_stream<S>) {
    auto [ec] = co_await s.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  } else {
    co_return boost::system::error_code{};
  }
}

// Sets SNI and the host name to verify (unless the context does not verify).
template <class S>
asio::awaitable<boost::system::error_code> client_handshake(S& s, const std::string& host) {
  if constexpr (is_tls_stream<S>) {
    boost::system::error_code not_ip;
    asio::ip::make_address(host, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(s.native_handle(), host.c_str());  // SNI carries names only
    s.set_verify_callback(ssl::host_name_verification(host));
    auto [ec] = co_await s.async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    co_return ec;
  } else {
    co_return boost::system::error_code{};
  }
}

// EOF, reset, TLS truncation, cancellation: the peer or we ended the connection.
bool is_expected_end(const boost::system::error_code& ec) noexcept;

std::string endpoint_string(const tcp::endpoint& ep);

// Throws std::runtime_error "cannot load --cert FILE: reason".
std::unique_ptr<ssl::context> make_server_tls(const std::string& cert_file, const std::string& key_file);
// Verifies against ca_file (or the system's trust store) unless insecure.
std::unique_ptr<ssl::context> make_client_tls(bool insecure, const std::string& ca_file);

// Throws std::runtime_error "cannot listen on HOST:PORT: reason".
tcp::endpoint resolve_listen(asio::io_context& ctx, const std::string& host, std::uint16_t port);
std::unique_ptr<tcp::acceptor> open_acceptor(asio::io_context& ctx, const tcp::endpoint& ep);

}  // namespace smppscope::sim::detail
