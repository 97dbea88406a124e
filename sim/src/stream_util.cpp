#include "stream_util.hpp"

#include <stdexcept>

namespace smppscope::sim::detail {

bool is_expected_end(const boost::system::error_code& ec) noexcept {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

std::string endpoint_string(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

std::unique_ptr<ssl::context> make_server_tls(const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() || key_file.empty()) throw std::runtime_error("--tls needs --cert FILE and --key FILE");
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) throw std::runtime_error("cannot load --cert " + cert_file + ": " + ec.message());
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load --key " + key_file + ": " + ec.message());
  return ctx;
}

std::unique_ptr<ssl::context> make_client_tls(bool insecure, const std::string& ca_file) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (insecure) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  boost::system::error_code ec;
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("cannot load --ca " + ca_file + ": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

tcp::endpoint resolve_listen(asio::io_context& ctx, const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (!ec) return {addr, port};
  tcp::resolver resolver(ctx);
  auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                             (ec ? ec.message() : std::string("no address")));
  // One listener: for a name with both families (localhost), IPv4, which every host has.
  for (const auto& r : results)
    if (r.endpoint().address().is_v4()) return r.endpoint();
  return results.begin()->endpoint();
}

std::unique_ptr<tcp::acceptor> open_acceptor(asio::io_context& ctx, const tcp::endpoint& ep) {
  auto acc = std::make_unique<tcp::acceptor>(ctx);
  boost::system::error_code ec;
  auto fail = [&] { throw std::runtime_error("cannot listen on " + endpoint_string(ep) + ": " + ec.message()); };
  acc->open(ep.protocol(), ec);
  if (ec) fail();
  acc->set_option(tcp::acceptor::reuse_address(true), ec);
  if (ep.address().is_v6()) acc->set_option(asio::ip::v6_only(true), ec);
  acc->bind(ep, ec);
  if (ec) fail();
  acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail();
  return acc;
}

}  // namespace smppscope::sim::detail
