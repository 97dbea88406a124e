// TLS contexts for the two legs. TLS 1.2 is the floor (1.0/1.1 are refused), 1.3 can be required.
#pragma once

#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

namespace smppscope::proxy {

enum class tls_version { v1_2, v1_3 };

// Client-facing leg (--listen-tls --cert --key).
struct tls_server_options {
  std::string cert_file;  // PEM, leaf first then any intermediates
  std::string key_file;   // PEM private key
  tls_version min_version = tls_version::v1_2;
};

// Upstream leg (--upstream-tls [--ca] [--insecure] [--sni]).
struct tls_client_options {
  std::string ca_file;    // empty: the system store
  bool insecure = false;  // skip certificate and host name verification
  std::string sni;        // empty: the upstream host when it is a name
  tls_version min_version = tls_version::v1_2;
};

// Both throw std::runtime_error with a message naming the option and file ("--cert: ...").
boost::asio::ssl::context make_server_context(const tls_server_options& o);
boost::asio::ssl::context make_client_context(const tls_client_options& o);

// "certificate verify failed (unable to get local issuer certificate)", "wrong version number",
// "Connection reset by peer": the OpenSSL reason plus, when a certificate was rejected, why.
// `ssl` may be null.
std::string tls_error_text(const boost::system::error_code& ec, const void* ssl);

}  // namespace smppscope::proxy
