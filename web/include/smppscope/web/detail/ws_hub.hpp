// The WebSocket fan-out: ONE reader of the event ring, many clients.
//
// All hub state lives on the hub's strand: the client list, each client's filter and the ring
// cursor. Every ws_batch_interval the hub reads the events after its cursor, renders each one
// once, and hands every client a shared message (or its own filtered one). deliver() only posts
// to the client's strand, so the hub never waits on a client and never holds a lock while a
// client sends (Beast chat-multi: weak references, sends outside the shared state).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "smppscope/web/event_match.hpp"

namespace smppscope::analysis {
class event_ring;
class pdu_annotator;
}

namespace smppscope::web::detail {

// What the hub sees of a client. Both calls are thread-safe and never block.
class ws_client {
 public:
  virtual ~ws_client() = default;
  // A JSON array of `events` events; may be dropped (and counted) when the client is behind.
  virtual void deliver(std::shared_ptr<const std::string> batch, std::size_t events) = 0;
  // A control message (hello, filter_applied, error); never dropped.
  virtual void send_control(std::string json) = 0;
  // The feed is gone (its workspace was closed): close the connection.
  virtual void end_feed() = 0;
};

struct ws_hub_counters {
  std::atomic<std::uint64_t> clients{0};
  std::atomic<std::uint64_t> missed{0};  // events overwritten in the ring before the hub read them
};

class ws_hub : public std::enable_shared_from_this<ws_hub> {
 public:
  ws_hub(boost::asio::io_context& ioc, const analysis::event_ring& ring,
         std::chrono::milliseconds interval, std::size_t batch_events, ws_hub_counters& counters);
  // A hub over a ring nobody writes any more (an uploaded capture): it says hello with the ring's
  // last id and never polls; the REST history holds everything. `owner` keeps the ring alive.
  // stop() closes its clients.
  static std::shared_ptr<ws_hub> make_static(boost::asio::io_context& ioc, const analysis::event_ring& ring,
                                             std::shared_ptr<const void> owner, ws_hub_counters& counters);

  // Provider names and compliance lints on pdu events; before start().
  void set_annotator(const analysis::pdu_annotator* a) noexcept { annotate_ = a; }
  void start();
  void stop();
  // The client receives {"type":"hello","last_id":N} and then every event with id > N.
  // `hello_extra` is added to the hello object (",\"workspace\":\"c1\"").
  void set_hello_extra(std::string extra) { hello_extra_ = std::move(extra); }
  void join(std::weak_ptr<ws_client> client, const ws_client* key);
  void leave(const ws_client* key);
  // Applies the filter, then sends `ack` to the client (so it knows from when it applies).
  void set_filter(const ws_client* key, std::shared_ptr<const event_match> filter, std::string ack);

 private:
  struct entry {
    const ws_client* key;
    std::weak_ptr<ws_client> client;
    std::shared_ptr<const event_match> filter;
  };
  void schedule();
  void poll();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  const analysis::event_ring& ring_;
  std::chrono::milliseconds interval_;
  std::size_t batch_events_;
  ws_hub_counters& counters_;
  // hub strand only
  std::vector<entry> clients_;
  std::uint64_t cursor_ = 0;
  const analysis::pdu_annotator* annotate_ = nullptr;
  bool stopped_ = false;
  bool static_ = false;                // never polls; stop() ends the clients' feeds
  std::shared_ptr<const void> owner_;  // keeps a static ring alive
  std::string hello_extra_;
  std::vector<std::size_t> offsets_;  // reused: where each event's JSON starts in the batch
};

}  // namespace smppscope::web::detail
