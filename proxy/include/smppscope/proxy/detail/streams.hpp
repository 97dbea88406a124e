// What the relay needs from its two kinds of stream (plain TCP and TLS over TCP), so relay() is
// written once. All functions run on the session's io_context thread.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace smppscope::proxy::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using tls_stream = asio::ssl::stream<tcp::socket>;

inline tcp::socket& tcp_of(tcp::socket& s) noexcept { return s; }
inline tcp::socket& tcp_of(tls_stream& s) noexcept { return s.next_layer(); }

// An orderly end of the byte stream: FIN, TLS close_notify, or FIN without close_notify
// (stream_truncated: many SMPP peers just close the socket).
inline bool is_end_of_stream(const boost::system::error_code& ec) noexcept {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

// EOF from the other side: stop sending on this one, keep reading from it.
inline asio::awaitable<void> half_close(tcp::socket& s) {
  boost::system::error_code ec;
  s.shutdown(tcp::socket::shutdown_send, ec);
  co_return;
}

// TLS: close_notify, then FIN. ssl::stream::async_shutdown would also wait for the peer's
// close_notify, reading from the stream while the other direction's relay still reads from it,
// so the alert is produced by SSL_shutdown into a memory BIO and written to the socket directly.
// Safe because this relay is the stream's only writer and its last write has completed.
asio::awaitable<void> half_close(tls_stream& s);

}  // namespace smppscope::proxy::detail
