#include "smppscope/web/detail/ws_hub.hpp"

#include <algorithm>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "smppscope/analysis/event_ring.hpp"

namespace smppscope::web::detail {

namespace net = boost::asio;

ws_hub::ws_hub(net::io_context& ioc, const analysis::event_ring& ring,
               std::chrono::milliseconds interval, std::size_t batch_events,
               ws_hub_counters& counters)
    : strand_(net::make_strand(ioc)), timer_(strand_), ring_(ring), interval_(interval),
      batch_events_(std::max<std::size_t>(batch_events, 1)), counters_(counters) {}

std::shared_ptr<ws_hub> ws_hub::make_static(net::io_context& ioc, const analysis::event_ring& ring,
                                            std::shared_ptr<const void> owner, ws_hub_counters& counters) {
  auto h = std::make_shared<ws_hub>(ioc, ring, std::chrono::milliseconds(0), 1, counters);
  h->static_ = true;
  h->owner_ = std::move(owner);
  return h;
}

void ws_hub::start() {
  net::post(strand_, [self = shared_from_this()] {
    self->cursor_ = self->ring_.last_id();
    if (!self->static_) self->schedule();
  });
}

void ws_hub::stop() {
  net::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
    if (self->static_) {
      for (const entry& e : self->clients_)
        if (auto c = e.client.lock()) c->end_feed();
      self->counters_.clients.fetch_sub(self->clients_.size(), std::memory_order_relaxed);
      self->clients_.clear();
      self->owner_.reset();
      return;
    }
    self->counters_.clients.fetch_sub(self->clients_.size(), std::memory_order_relaxed);
    self->clients_.clear();
  });
}

void ws_hub::join(std::weak_ptr<ws_client> client, const ws_client* key) {
  net::post(strand_, [self = shared_from_this(), client = std::move(client), key] {
    if (self->stopped_) return;
    auto c = client.lock();
    if (!c) return;
    self->clients_.push_back({key, client, nullptr});
    self->counters_.clients.fetch_add(1, std::memory_order_relaxed);
    c->send_control("{\"type\":\"hello\",\"last_id\":" + std::to_string(self->cursor_) + self->hello_extra_ + "}");
  });
}

void ws_hub::leave(const ws_client* key) {
  net::post(strand_, [self = shared_from_this(), key] {
    auto& v = self->clients_;
    const auto gone = std::remove_if(v.begin(), v.end(), [key](const entry& e) { return e.key == key; });
    self->counters_.clients.fetch_sub(static_cast<std::size_t>(v.end() - gone), std::memory_order_relaxed);
    v.erase(gone, v.end());
  });
}

void ws_hub::set_filter(const ws_client* key, std::shared_ptr<const event_match> filter,
                        std::string ack) {
  net::post(strand_, [self = shared_from_this(), key, filter = std::move(filter),
                      ack = std::move(ack)]() mutable {
    for (entry& e : self->clients_) {
      if (e.key != key) continue;
      e.filter = filter && !filter->matches_everything() ? std::move(filter) : nullptr;
      if (auto c = e.client.lock()) c->send_control(std::move(ack));
      return;
    }
  });
}

void ws_hub::schedule() {
  if (stopped_) return;
  timer_.expires_after(interval_);
  timer_.async_wait(net::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->poll();
  }));
}

void ws_hub::poll() {
  if (stopped_) return;
  if (clients_.empty()) {
    cursor_ = ring_.last_id();  // nobody to send to: skip without copying
    schedule();
    return;
  }
  const std::vector<analysis::event> events = ring_.read_since(cursor_, batch_events_);
  if (events.empty()) {
    schedule();
    return;
  }
  if (events.front().id > cursor_ + 1)
    counters_.missed.fetch_add(events.front().id - cursor_ - 1, std::memory_order_relaxed);
  cursor_ = events.back().id;

  // Render each event once; filtered clients pick slices of this text.
  const analysis::render_options ropt{.include_hex = true, .annotate = annotate_};
  auto all = std::make_shared<std::string>();
  all->reserve(events.size() * 512);
  offsets_.clear();
  *all += '[';
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) *all += ',';
    offsets_.push_back(all->size());
    analysis::append_event_json(*all, events[i], ropt);
  }
  offsets_.push_back(all->size() + 1);  // sentinel: one past the last event's ','
  *all += ']';
  const std::shared_ptr<const std::string> shared_all = all;
  auto slice = [&](std::size_t i) {
    return std::string_view(*all).substr(offsets_[i], offsets_[i + 1] - 1 - offsets_[i]);
  };

  bool expired = false;
  for (const entry& e : clients_) {
    auto c = e.client.lock();
    if (!c) {
      expired = true;
      continue;
    }
    if (!e.filter) {
      c->deliver(shared_all, events.size());
      continue;
    }
    auto mine = std::make_shared<std::string>("[");
    std::size_t n = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const std::string_view json = slice(i);
      if (!e.filter->keep(events[i], json)) continue;
      if (n++) *mine += ',';
      *mine += json;
    }
    *mine += ']';
    if (n) c->deliver(std::move(mine), n);
  }
  if (expired) {
    const auto gone = std::remove_if(clients_.begin(), clients_.end(),
                                     [](const entry& e) { return e.client.expired(); });
    counters_.clients.fetch_sub(static_cast<std::size_t>(clients_.end() - gone), std::memory_order_relaxed);
    clients_.erase(gone, clients_.end());
  }
  // A full batch means more is waiting: go again at once, else wait for the next period.
  if (events.size() == batch_events_) net::post(strand_, [self = shared_from_this()] { self->poll(); });
  else schedule();
}

}  // namespace smppscope::web::detail
