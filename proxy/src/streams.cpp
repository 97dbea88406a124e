#include "smppscope/proxy/detail/streams.hpp"

#include <vector>

#include <openssl/bio.h>
#include <openssl/ssl.h>

namespace smppscope::proxy::detail {

asio::awaitable<void> half_close(tls_stream& s) {
  SSL* ssl = s.native_handle();
  std::vector<char> alert;
  if (!(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)) {
    BIO* engine_bio = SSL_get_wbio(ssl);
    BIO* mem = BIO_new(BIO_s_mem());
    if (mem) {
      BIO_up_ref(engine_bio);      // SSL_set0_wbio releases the reference it replaces
      SSL_set0_wbio(ssl, mem);     // SSL now owns mem
      (void)SSL_shutdown(ssl);     // 0: close_notify sent, the peer's not yet received
      char* data = nullptr;
      const long n = BIO_get_mem_data(mem, &data);
      if (n > 0) alert.assign(data, data + n);
      SSL_set0_wbio(ssl, engine_bio);  // frees mem, hands our reference back to SSL
    }
  }
  if (!alert.empty())
    (void)co_await asio::async_write(s.next_layer(), asio::buffer(alert), asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ec;
  s.next_layer().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace smppscope::proxy::detail
