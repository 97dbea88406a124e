#include "test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace smppscope::proxy::test {

// OpenSSL writes to sockets with plain send(): a peer that already closed must not kill the test.
[[maybe_unused]] static const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// ---- conn ----------------------------------------------------------------------------------

conn& conn::operator=(conn&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    ssl_ = o.ssl_;
    o.fd_ = -1;
    o.ssl_ = nullptr;
  }
  return *this;
}

conn::~conn() { close(); }

void conn::close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void conn::reset() {
  if (fd_ >= 0) {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close();
}

void conn::set_timeout(std::chrono::milliseconds t) {
  timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool conn::write_all(const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    long w;
    if (ssl_) {
      w = SSL_write(ssl_, p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
      if (w <= 0) return false;
    } else {
      w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool conn::write_chunked(const bytes& b, std::mt19937_64& rng, std::size_t max_piece) {
  std::size_t at = 0;
  while (at < b.size()) {
    // A third tiny, a third PDU-sized, a third large.
    std::size_t piece;
    switch (rng() % 3) {
      case 0: piece = 1 + rng() % 16; break;
      case 1: piece = 1 + rng() % 2048; break;
      default: piece = 1 + rng() % max_piece; break;
    }
    piece = std::min(piece, b.size() - at);
    if (!write_all(b.data() + at, piece)) return false;
    at += piece;
  }
  return true;
}

long conn::read_some(std::uint8_t* p, std::size_t n) {
  if (ssl_) {
    const int r = SSL_read(ssl_, p, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
    if (r > 0) return r;
    return SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
  }
  for (;;) {
    const long r = ::recv(fd_, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

bytes conn::read_to_eof(bool* ok) {
  bytes out;
  std::uint8_t buf[65536];
  for (;;) {
    const long n = read_some(buf, sizeof buf);
    if (n <= 0) {
      if (ok) *ok = n == 0;
      return out;
    }
    out.insert(out.end(), buf, buf + n);
  }
}

bool conn::read_exact(std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const long r = read_some(p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool conn::duplex(const bytes& out, std::mt19937_64& rng, bytes& in, std::chrono::milliseconds timeout) {
  const int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t at = 0, piece = 0;
  bool sent_eof = false, got_eof = false, ok = true;
  std::uint8_t buf[65536];
  while (ok && !(sent_eof && got_eof)) {
    bool progress = false, want_write = false;
    if (!sent_eof && at < out.size()) {
      if (piece == 0) {
        switch (rng() % 3) {  // a third tiny, a third PDU-sized, a third large
          case 0: piece = 1 + rng() % 16; break;
          case 1: piece = 1 + rng() % 2048; break;
          default: piece = 1 + rng() % (64 * 1024); break;
        }
        piece = std::min(piece, out.size() - at);
      }
      long w;
      if (ssl_) {  // a retried SSL_write gets the same buffer and length
        w = SSL_write(ssl_, out.data() + at, static_cast<int>(piece));
        if (w <= 0) {
          const int e = SSL_get_error(ssl_, static_cast<int>(w));
          if (e == SSL_ERROR_WANT_WRITE) want_write = true;
          else if (e != SSL_ERROR_WANT_READ) ok = false;
        }
      } else {
        w = ::send(fd_, out.data() + at, piece, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) want_write = true;
        else if (w < 0 && errno != EINTR) ok = false;
      }
      if (w > 0) {
        at += static_cast<std::size_t>(w);
        piece -= static_cast<std::size_t>(w);
        progress = true;
      }
    } else if (!sent_eof) {
      if (ssl_) {
        const int r = SSL_shutdown(ssl_);  // 0: close_notify sent, the peer's not yet seen
        const int e = r < 0 ? SSL_get_error(ssl_, r) : SSL_ERROR_NONE;
        if (e == SSL_ERROR_WANT_WRITE) want_write = true;
        else if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ) ok = false;
        else if (e == SSL_ERROR_NONE) sent_eof = true;
      } else {
        sent_eof = true;
      }
      if (sent_eof) {
        ::shutdown(fd_, SHUT_WR);
        progress = true;
      }
    }
    if (ok && !got_eof) {
      long r;
      if (ssl_) {
        r = SSL_read(ssl_, buf, sizeof buf);
        if (r <= 0) {
          const int e = SSL_get_error(ssl_, static_cast<int>(r));
          if (e == SSL_ERROR_ZERO_RETURN) got_eof = progress = true;
          else if (e == SSL_ERROR_WANT_WRITE) want_write = true;
          else if (e != SSL_ERROR_WANT_READ) ok = false;
        }
      } else {
        r = ::recv(fd_, buf, sizeof buf, 0);
        if (r == 0) got_eof = progress = true;
        else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ok = false;
      }
      if (r > 0) {
        in.insert(in.end(), buf, buf + r);
        progress = true;
      }
    }
    if (!ok || progress) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ok = false;
      break;
    }
    pollfd pfd{fd_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
  }
  ::fcntl(fd_, F_SETFL, flags);
  return ok;
}

void conn::shutdown_send() {
  if (ssl_) (void)SSL_shutdown(ssl_);  // close_notify; returns 0 without waiting for the peer's
  ::shutdown(fd_, SHUT_WR);
}

namespace {

bool fill_addr(const std::string& host, std::uint16_t port, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
    return true;
  }
  return false;
}

}  // namespace

conn connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!fill_addr(host, port, ss, len)) return {};
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  conn c(fd);
  c.set_timeout(timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return {};
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

conn connect_tls(SSL_CTX* ctx, const std::string& host, std::uint16_t port, const std::string& sni) {
  conn c = connect_tcp(host, port);
  if (!c.valid()) return {};
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, c.fd());
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set1_host(ssl, sni.c_str());
  }
  if (SSL_connect(ssl) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    return {};
  }
  return conn(c.release(), ssl);
}

// ---- server --------------------------------------------------------------------------------

server::server(handler h, const std::string& host, SSL_CTX* tls, bool accept, int backlog)
    : handler_(std::move(h)), tls_(tls) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!fill_addr(host, 0, ss, len)) throw std::runtime_error("server: bad host " + host);
  fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, backlog) != 0)
    throw std::runtime_error(std::string("server: bind/listen failed: ") + std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                            : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("server: pipe failed");
  if (accept) thread_ = std::thread([this] { run(); });
}

server::~server() {
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  wait_handlers();
  ::close(fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void server::wait_handlers() {
  std::vector<std::thread> hs;
  {
    std::lock_guard lk(mu_);
    hs.swap(handlers_);
  }
  for (auto& t : hs) t.join();
}

void server::run() {
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    ++accepted_;
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lk(mu_);
    handlers_.emplace_back([this, c] {
      conn k(c);
      k.set_timeout(std::chrono::seconds(20));
      if (tls_) {
        SSL* ssl = SSL_new(tls_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {
          ERR_clear_error();
          SSL_free(ssl);
          ++tls_failures_;
          return;
        }
        k = conn(k.release(), ssl);
      }
      handler_(k);
    });
  }
}

// ---- PKI -----------------------------------------------------------------------------------

namespace {

struct issued {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) throw std::runtime_error("pki: bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

issued make_cert(const char* cn, const issued* ca, long serial) {
  issued out;
  out.key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
  X509_set_pubkey(x, out.key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* issuer = ca ? ca->cert : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer));
  add_ext(x, issuer, NID_subject_key_identifier, "hash");
  if (!ca) {
    add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, issuer, NID_authority_key_identifier, "keyid");
    add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
    add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
    add_ext(x, issuer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  }
  X509_sign(x, ca ? ca->key : out.key, EVP_sha256());
  out.cert = x;
  return out;
}

void write_pem(const std::filesystem::path& p, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(p.c_str(), "w");
  if (!f) throw std::runtime_error("pki: cannot write " + p.string());
  if (cert) PEM_write_X509(f, cert);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

pki generate() {
  pki k;
  char tmpl[] = "/tmp/smppscope-proxy-pki-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("pki: mkdtemp failed");
  k.dir = tmpl;
  auto one = [&](const char* ca_cn, long serial, std::filesystem::path& ca_path, std::filesystem::path& leaf_path,
                 std::filesystem::path& key_path, const char* prefix) {
    issued ca = make_cert(ca_cn, nullptr, serial);
    issued leaf = make_cert("localhost", &ca, serial + 1);
    ca_path = k.dir / (std::string(prefix) + "ca.pem");
    leaf_path = k.dir / (std::string(prefix) + "leaf.pem");
    key_path = k.dir / (std::string(prefix) + "leaf.key");
    write_pem(ca_path, ca.cert, nullptr);
    write_pem(leaf_path, leaf.cert, nullptr);
    write_pem(key_path, nullptr, leaf.key);
    X509_free(ca.cert);
    X509_free(leaf.cert);
    EVP_PKEY_free(ca.key);
    EVP_PKEY_free(leaf.key);
  };
  one("smppscope test CA", 1, k.ca_cert, k.leaf_cert, k.leaf_key, "");
  one("smppscope other CA", 100, k.other_ca_cert, k.other_leaf_cert, k.other_leaf_key, "other-");
  return k;
}

}  // namespace

const pki& test_pki() {
  struct holder {
    pki k = generate();
    ~holder() {
      std::error_code ec;
      std::filesystem::remove_all(k.dir, ec);
    }
  };
  static const holder h;
  return h.k;
}

ssl_ctx_ptr server_ctx(const std::filesystem::path& cert, const std::filesystem::path& key, int max_version) {
  ssl_ctx_ptr c(SSL_CTX_new(TLS_server_method()));
  if (SSL_CTX_use_certificate_chain_file(c.get(), cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(c.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("server_ctx: cannot load " + cert.string());
  if (max_version) SSL_CTX_set_max_proto_version(c.get(), max_version);
  return c;
}

ssl_ctx_ptr client_ctx(const std::filesystem::path& ca, int max_version) {
  ssl_ctx_ptr c(SSL_CTX_new(TLS_client_method()));
  if (!ca.empty()) {
    SSL_CTX_load_verify_locations(c.get(), ca.c_str(), nullptr);
    SSL_CTX_set_verify(c.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (max_version) {
    // Old versions need the security level lowered before this client will even offer them.
    SSL_CTX_set_security_level(c.get(), 0);
    SSL_CTX_set_cipher_list(c.get(), "DEFAULT@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(c.get(), 0);
    SSL_CTX_set_max_proto_version(c.get(), max_version);
  }
  return c;
}

// ---- SMPP bytes ----------------------------------------------------------------------------

namespace {
void put32(bytes& b, std::uint32_t v) {
  b.push_back(std::uint8_t(v >> 24));
  b.push_back(std::uint8_t(v >> 16));
  b.push_back(std::uint8_t(v >> 8));
  b.push_back(std::uint8_t(v));
}
void put_cstr(bytes& b, std::string_view s) {
  b.insert(b.end(), s.begin(), s.end());
  b.push_back(0);
}
}  // namespace

bytes pdu(std::uint32_t command_id, std::uint32_t seq, const bytes& body, std::uint32_t status) {
  bytes b;
  b.reserve(16 + body.size());
  put32(b, static_cast<std::uint32_t>(16 + body.size()));
  put32(b, command_id);
  put32(b, status);
  put32(b, seq);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

bytes bind_transceiver(std::uint32_t seq, std::string_view system_id, std::string_view password) {
  bytes body;
  put_cstr(body, system_id);
  put_cstr(body, password);
  put_cstr(body, "");   // system_type
  body.push_back(0x34); // interface_version
  body.push_back(0);    // addr_ton
  body.push_back(0);    // addr_npi
  put_cstr(body, "");   // address_range
  return pdu(0x00000009, seq, body);
}

bytes make_pdu_stream(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  bytes out;
  out.reserve(count * 120);
  for (std::size_t i = 0; i < count; ++i) {
    const auto seq = static_cast<std::uint32_t>(i + 1);
    const unsigned kind = rng() % 10;
    if (kind == 0) {
      auto p = pdu(0x00000015, seq);  // enquire_link
      out.insert(out.end(), p.begin(), p.end());
    } else if (kind == 1) {
      auto p = pdu(0x80000015, seq);  // enquire_link_resp
      out.insert(out.end(), p.begin(), p.end());
    } else if (kind <= 3) {
      bytes body;
      put_cstr(body, std::to_string(rng()));  // message_id
      auto p = pdu(0x80000004, seq, body);    // submit_sm_resp
      out.insert(out.end(), p.begin(), p.end());
    } else {
      bytes body;
      put_cstr(body, "");                      // service_type
      body.push_back(1);
      body.push_back(1);
      put_cstr(body, "12345");                 // source_addr
      body.push_back(1);
      body.push_back(1);
      put_cstr(body, "447700900" + std::to_string(rng() % 1000));
      body.insert(body.end(), {0, 0, 0});      // esm_class, protocol_id, priority_flag
      put_cstr(body, "");                      // schedule_delivery_time
      put_cstr(body, "");                      // validity_period
      body.insert(body.end(), {1, 0, 0, 0});   // registered_delivery .. sm_default_msg_id
      const bool payload = rng() % 8 == 0;
      const std::size_t len = payload ? 200 + rng() % 900 : rng() % 161;
      body.push_back(payload ? 0 : static_cast<std::uint8_t>(len));  // sm_length
      bytes text(len);
      for (auto& c : text) c = static_cast<std::uint8_t>(rng());
      if (payload) {  // message_payload TLV 0x0424
        body.push_back(0x04);
        body.push_back(0x24);
        body.push_back(static_cast<std::uint8_t>(len >> 8));
        body.push_back(static_cast<std::uint8_t>(len));
      }
      body.insert(body.end(), text.begin(), text.end());
      auto p = pdu(kind == 9 ? 0x00000005 : 0x00000004, seq, body);
      out.insert(out.end(), p.begin(), p.end());
    }
  }
  return out;
}

// ---- logs ----------------------------------------------------------------------------------

std::function<void(std::string_view)> log_sink::fn() {
  return [this](std::string_view line) {
    {
      std::lock_guard lk(mu_);
      lines_.emplace_back(line);
    }
    cv_.notify_all();
  };
}

std::string log_sink::wait_for(std::string_view needle, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  std::string found;
  cv_.wait_for(lk, timeout, [&] {
    for (const auto& l : lines_)
      if (l.find(needle) != std::string::npos) {
        found = l;
        return true;
      }
    return false;
  });
  return found;
}

std::vector<std::string> log_sink::lines() const {
  std::lock_guard lk(mu_);
  return lines_;
}

bool log_sink::contains(std::string_view needle) const {
  std::lock_guard lk(mu_);
  for (const auto& l : lines_)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

proxy_options local_options(std::uint16_t upstream_port, log_sink& sink) {
  proxy_options o;
  o.listen = {"127.0.0.1", 0};
  o.upstream = {"127.0.0.1", upstream_port};
  o.log = sink.fn();
  o.connect_timeout = std::chrono::seconds(5);
  return o;
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

server::handler echo_handler() {
  return [](conn& c) {
    std::uint8_t buf[65536];
    for (;;) {
      const long n = c.read_some(buf, sizeof buf);
      if (n <= 0) break;
      if (!c.write_all(buf, static_cast<std::size_t>(n))) return;
    }
    c.shutdown_send();
  };
}

}  // namespace smppscope::proxy::test
