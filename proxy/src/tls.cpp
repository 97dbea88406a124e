#include "smppscope/proxy/tls.hpp"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/error.hpp>

namespace smppscope::proxy {

namespace ssl = boost::asio::ssl;

namespace {

int openssl_version(tls_version v) { return v == tls_version::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION; }

std::string last_openssl_error() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  const char* r = ERR_reason_error_string(e);
  return r ? r : "unknown error";
}

void set_floor(ssl::context& ctx, tls_version min) {
  // SSL_OP_NO_* as well, in case a system policy lowers the minimum.
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression);
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), openssl_version(min)) != 1)
    throw std::runtime_error("--tls-min: cannot set the minimum TLS version");
}

}  // namespace

ssl::context make_server_context(const tls_server_options& o) {
  if (o.cert_file.empty()) throw std::runtime_error("--listen-tls needs --cert FILE");
  if (o.key_file.empty()) throw std::runtime_error("--listen-tls needs --key FILE");
  ssl::context ctx(ssl::context::tls_server);
  set_floor(ctx, o.min_version);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.native_handle(), o.cert_file.c_str()) != 1)
    throw std::runtime_error("--cert: cannot load certificate from " + o.cert_file + ": " + last_openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx.native_handle(), o.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("--key: cannot load private key from " + o.key_file + ": " + last_openssl_error());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
    throw std::runtime_error("--key: " + o.key_file + " does not match the certificate in " + o.cert_file);
  return ctx;
}

ssl::context make_client_context(const tls_client_options& o) {
  ssl::context ctx(ssl::context::tls_client);
  set_floor(ctx, o.min_version);
  if (o.insecure) {
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  ERR_clear_error();
  if (!o.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.native_handle(), o.ca_file.c_str(), nullptr) != 1)
      throw std::runtime_error("--ca: cannot load CA certificates from " + o.ca_file + ": " + last_openssl_error());
  } else if (SSL_CTX_set_default_verify_paths(ctx.native_handle()) != 1) {
    throw std::runtime_error("--upstream-tls: cannot load the system CA store: " + last_openssl_error());
  }
  return ctx;
}

std::string tls_error_text(const boost::system::error_code& ec, const void* handle) {
  auto* s = static_cast<SSL*>(const_cast<void*>(handle));
  std::string text;
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    text = r ? r : ec.message();
  } else if (ec == ssl::error::stream_truncated) {
    text = "connection closed by peer";
  } else {
    text = ec.message();
  }
  if (s) {
    const long v = SSL_get_verify_result(s);
    if (v != X509_V_OK) text += std::string(" (") + X509_verify_cert_error_string(v) + ")";
  }
  return text;
}

}  // namespace smppscope::proxy
