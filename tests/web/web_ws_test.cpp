// The live WebSocket feed: batching, per-client filters, slow clients (dropped, told, cut off)
// while other clients and the writer go on, and the whole path through a real relay.
#include <sys/socket.h>

#include <thread>

#include "smppscope/proxy/proxy.hpp"
#include "web_test_util.hpp"

namespace web_test {
namespace {

std::size_t count_type(const std::vector<json::object>& v, std::string_view type) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [&](const json::object& e) {
    return e.at("type").as_string() == type;
  }));
}

bool has_text(const std::vector<json::object>& v, std::string_view text) {
  return std::any_of(v.begin(), v.end(), [&](const json::object& e) {
    const json::value* t = e.if_contains("text");
    return t && t->is_string() && t->as_string() == text;
  });
}

class web_ws : public ::testing::Test {
 protected:
  void start(sw::server_options o = {}) {
    o.ws_batch_interval = std::chrono::milliseconds(20);
    server = std::make_unique<sw::server>(std::move(o), rig->ring, rig->sessions, rig->registry);
    server->start();
    port = server->port();
  }
  void TearDown() override { server.reset(); }

  // Connects and waits for the hello (from then on every event reaches the client).
  std::unique_ptr<ws_client> connect(int rcvbuf = 0) {
    auto c = std::make_unique<ws_client>();
    EXPECT_TRUE(c->connect(port, {}, rcvbuf)) << c->error();
    auto hello = c->next();
    EXPECT_TRUE(hello);
    if (hello) {
      EXPECT_EQ(json::parse(*hello).at("type").as_string(), "hello");
    }
    return c;
  }
  // Sends a filter and waits for its acknowledgement.
  json::object filter(ws_client& c, const std::string& f) {
    c.send(f);
    auto ack = c.next();
    EXPECT_TRUE(ack);
    return ack ? json::parse(*ack).as_object() : json::object{};
  }

  std::unique_ptr<capture_rig> rig = std::make_unique<capture_rig>();
  std::unique_ptr<sw::server> server;
  std::uint16_t port = 0;
};

TEST_F(web_ws, events_arrive_batched_in_order) {
  start();
  auto c = connect();
  rig->open(1);
  rig->send(1, rig->up, bind_trx(1, "alice", "pw"));
  rig->send(1, rig->down, bind_trx_resp(1));
  for (std::uint32_t i = 0; i < 20; ++i) rig->send(1, rig->up, submit_sm(10 + i, "msg " + std::to_string(i)));
  rig->send(1, rig->down, deliver_sm(99, "the end"));
  const auto got = c->events_until([](const auto& v) { return has_text(v, "the end"); });
  ASSERT_TRUE(has_text(got, "the end"));
  EXPECT_EQ(count_type(got, "session_open"), 1u);
  EXPECT_EQ(count_type(got, "pdu"), 23u);
  std::int64_t last = 0;
  for (const auto& e : got) {
    EXPECT_GT(e.at("id").as_int64(), last);
    last = e.at("id").as_int64();
  }
  // One JSON array per hub period, not one frame per event.
  EXPECT_LT(c->messages_received(), 24u + 1u);
  const json::object& sub = got[3];
  EXPECT_EQ(sub.at("command").as_string(), "submit_sm");
  EXPECT_EQ(sub.at("direction").as_string(), "esme_to_smsc");
  EXPECT_EQ(sub.at("session").as_int64(), 1);
  EXPECT_TRUE(sub.at("hex").is_string());
  EXPECT_EQ(server->stats().ws_clients, 1u);
}

TEST_F(web_ws, filter_messages_are_honoured) {
  start();
  auto c = connect();
  rig->open(1);
  rig->open(2);

  json::object ack = filter(*c, R"({"type":"filter","commands":["deliver_sm"]})");
  EXPECT_EQ(ack.at("type").as_string(), "filter_applied");
  EXPECT_EQ(json::serialize(ack.at("filter")), R"({"commands":["deliver_sm"]})");
  rig->send(1, rig->up, submit_sm(1, "not this"));
  rig->send(1, rig->down, submit_sm_resp(1, 0));
  rig->send(1, rig->down, deliver_sm(2, "only this"));
  auto got = c->events_until([](const auto& v) { return has_text(v, "only this"); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("command").as_string(), "deliver_sm");

  filter(*c, R"({"type":"filter","errors_only":true})");
  rig->send(1, rig->up, submit_sm(3, "fine"));
  rig->send(1, rig->down, submit_sm_resp(3, 0));
  rig->send(1, rig->up, submit_sm(4, "fails"));
  rig->send(1, rig->down, submit_sm_resp(4, 0x58));
  got = c->events_until([](const auto& v) { return !v.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("command_status").as_int64(), 0x58);

  filter(*c, R"({"type":"filter","session":2,"direction":"esme_to_smsc","text":"NEEDLE"})");
  rig->send(1, rig->up, submit_sm(5, "needle in session 1"));
  rig->send(2, rig->down, deliver_sm(5, "needle downstream"));
  rig->send(2, rig->up, submit_sm(6, "no match here"));
  rig->send(2, rig->up, submit_sm(7, "a needle at last"));
  got = c->events_until([](const auto& v) { return !v.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("text").as_string(), "a needle at last");

  // A bad filter is answered with an error and changes nothing.
  c->send(R"({"type":"filter","commands":["submit_smm"]})");
  auto err = c->next();
  ASSERT_TRUE(err);
  const json::object e = json::parse(*err).as_object();
  EXPECT_EQ(e.at("type").as_string(), "error");
  EXPECT_NE(e.at("message").as_string().find("submit_smm"), json::string::npos);
  c->send("not json");
  err = c->next();
  ASSERT_TRUE(err);
  EXPECT_EQ(json::parse(*err).at("type").as_string(), "error");

  // An empty filter lets everything through again.
  filter(*c, R"({"type":"filter"})");
  rig->send(1, rig->up, submit_sm(8, "all again"));
  got = c->events_until([](const auto& v) { return has_text(v, "all again"); });
  EXPECT_EQ(got.size(), 1u);
}

TEST_F(web_ws, clients_filter_independently) {
  start();
  auto all = connect();
  auto only2 = connect();
  filter(*only2, R"({"type":"filter","session":2,"types":["pdu"]})");
  rig->open(1);
  rig->open(2);
  for (std::uint32_t i = 0; i < 10; ++i) rig->send(1 + i % 2, rig->up, submit_sm(i, "m" + std::to_string(i)));
  const auto a = all->events_until([](const auto& v) { return has_text(v, "m9"); });
  const auto b = only2->events_until([](const auto& v) { return has_text(v, "m9"); });
  EXPECT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), 5u);
  for (const auto& e : b) EXPECT_EQ(e.at("session").as_int64(), 2);
}

// A client that stops reading loses events (counted), is cut off once its writes stall, and
// neither the other client nor the writer notices; the queue stays within its bounds.
TEST_F(web_ws, slow_client_is_dropped_and_cut_while_others_go_on) {
  rig = std::make_unique<capture_rig>(sc::event_ring_options{200'000, 256u << 20});
  sw::server_options o;
  o.ws_queue_messages = 16;
  o.ws_queue_bytes = 1024 * 1024;
  o.ws_batch_events = 200;
  o.ws_stall_timeout = std::chrono::milliseconds(300);
  start(o);
  auto slow = connect(4096);  // never pumped again: reads nothing more
  auto fast = connect();
  rig->open(1);
  const std::string text(200, 'x');
  constexpr std::uint32_t rounds = 100, per_round = 200;
  std::chrono::steady_clock::duration writer_time{};
  std::size_t received = 0;
  std::int64_t last_id = 0;
  bool lagging = false;
  for (std::uint32_t r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < per_round; ++i) rig->send(1, rig->up, submit_sm(r * per_round + i, text));
    writer_time += std::chrono::steady_clock::now() - t0;
    const std::int64_t want = static_cast<std::int64_t>(rig->ring.last_id());
    const auto got = fast->events_until([&](const auto& v) {
      return !v.empty() && v.back().contains("id") && v.back().at("id").as_int64() >= want;
    });
    for (const auto& e : got) {
      if (e.at("type").as_string() == "lagging") lagging = true;
      if (e.at("type").as_string() != "pdu") continue;
      EXPECT_EQ(e.at("id").as_int64(), last_id ? last_id + 1 : e.at("id").as_int64());
      last_id = e.at("id").as_int64();
      ++received;
    }
  }
  EXPECT_EQ(received, std::size_t{rounds} * per_round);
  EXPECT_FALSE(lagging);
  // The writer (analysis thread role) never waited on the web side.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(writer_time).count(), 5000);
  const sw::server_stats s = server->stats();
  EXPECT_GT(s.ws_events_dropped, 0u);
  EXPECT_EQ(s.ws_clients_cut, 1u);
  EXPECT_LE(s.ws_queue_high_water, o.ws_queue_bytes + 1024);
  EXPECT_EQ(s.ws_clients, 1u);
  // The slow client finds its connection closed once it reads again.
  slow->pump_until([&] { return slow->closed(); }, 10s);
  EXPECT_TRUE(slow->closed());
}

// A client that pauses gets {"type":"lagging","dropped":N} and then the live stream again;
// received + dropped accounts for every event.
TEST_F(web_ws, paused_client_is_told_how_many_events_it_lost) {
  rig = std::make_unique<capture_rig>(sc::event_ring_options{200'000, 256u << 20});
  sw::server_options o;
  o.ws_queue_messages = 4;
  o.ws_queue_bytes = 128 * 1024;
  o.ws_batch_events = 100;
  o.ws_stall_timeout = std::chrono::seconds(60);
  start(o);
  auto c = connect(4096);
  rig->open(1);
  const std::string text(200, 'y');
  constexpr std::uint32_t total = 20000;
  for (std::uint32_t i = 0; i < total; ++i) {
    rig->send(1, rig->up, submit_sm(i, text));
  }
  // Wait until the server has handed everything out (sent or dropped).
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = server->stats();
    if (s.ws_events_sent + s.ws_events_dropped >= total + 1) break;
    std::this_thread::sleep_for(10ms);
  }
  // Drain, then one more event flushes the pending notice.
  std::size_t received = 0;
  std::uint64_t dropped = 0;
  auto count = [&](const std::vector<json::object>& v) {
    for (const auto& e : v) {
      if (e.at("type").as_string() == "lagging") dropped += e.at("dropped").to_number<std::uint64_t>();
      else ++received;
    }
  };
  for (;;) {
    const auto got = c->events_until([](const auto& v) { return v.size() >= 1000; }, 500ms);
    count(got);
    if (got.empty()) break;
  }
  rig->send(1, rig->up, submit_sm(total, "final"));
  const auto tail = c->events_until([](const auto& v) { return has_text(v, "final"); });
  ASSERT_TRUE(has_text(tail, "final"));
  count(tail);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(received + dropped, total + 2);  // session_open + submits + final
  EXPECT_EQ(dropped, server->stats().ws_events_dropped);
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(server->stats().ws_clients_cut, 0u);
}

// A client that sends filter messages and never reads: each is answered, the answers pile up
// against the same bounds as events, and the client is cut off; neither the queue nor the
// process grows with what it sends (before, the answers queued without limit: GBs in seconds).
TEST_F(web_ws, client_that_only_sends_filters_is_cut_with_bounded_memory) {
  sw::server_options o;
  o.ws_queue_messages = 16;
  o.ws_queue_bytes = 256 * 1024;
  o.ws_stall_timeout = std::chrono::seconds(5);
  start(o);
  net::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().open(tcp::v4());
  ws.next_layer().set_option(net::socket_base::receive_buffer_size(4096));
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  ws.handshake("127.0.0.1:" + std::to_string(port), "/ws");
  const std::string message = R"({"type":"filter","text":")" + std::string(3500, 'a') + R"("})";
  const std::size_t rss0 = rss_bytes();
  std::size_t peak = rss0;
  beast::error_code ec;
  std::size_t sent = 0;
  constexpr std::size_t max_messages = 30000;  // 105 MB if nothing stopped it
  for (; sent < max_messages; ++sent) {
    ws.write(net::buffer(message), ec);
    if (ec) break;
    if (sent % 256 == 0) peak = std::max(peak, rss_bytes());
  }
  peak = std::max(peak, rss_bytes());
  EXPECT_TRUE(ec) << "sent " << sent << " filter messages and was never cut off";
  EXPECT_LT(sent, max_messages);
  ASSERT_TRUE(wait_for([&] { return server->stats().ws_clients == 0; }, 10s));
  const sw::server_stats s = server->stats();
  EXPECT_EQ(s.ws_clients_cut, 1u);
  EXPECT_LE(s.ws_queue_high_water, o.ws_queue_bytes + 8 * 1024);
  const std::size_t growth = peak > rss0 ? peak - rss0 : 0;
  EXPECT_LT(growth, std::size_t{48} << 20) << "RSS grew by " << (growth >> 20) << " MiB";
}

// A message over ws_max_message ends the connection: one client cannot make the server parse
// (and echo) arbitrarily much.
TEST_F(web_ws, oversized_client_message_closes_the_connection) {
  sw::server_options o;
  o.ws_max_message = 4096;
  start(o);
  auto c = connect();
  c->send(R"({"type":"filter","text":")" + std::string(8000, 'b') + R"("})");
  c->pump_until([&] { return c->closed(); }, 10s);
  EXPECT_TRUE(c->closed());
  auto ok = connect();  // others are not affected
  EXPECT_EQ(filter(*ok, R"({"type":"filter","text":")" + std::string(3000, 'c') + R"("})").at("type").as_string(),
            "filter_applied");
}

// ---- through the real relay: ESME -> proxy -> SMSC, analyzer thread, web ----

// A tiny SMSC: answers binds and submits, and sends a deliver_sm after each submit.
class test_smsc {
 public:
  test_smsc() : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { run(); });
  }
  ~test_smsc() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes a blocked accept()
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void run() {
    boost::system::error_code ec;
    tcp::socket s = acceptor_.accept(ec);
    if (ec) return;
    std::uint32_t out_seq = 1000;
    for (;;) {
      std::uint8_t head[16];
      net::read(s, net::buffer(head), ec);
      if (ec) return;
      const auto h = sd::read_header({head, 16});
      bytes body(h.command_length - 16);
      net::read(s, net::buffer(body), ec);
      if (ec) return;
      bytes reply;
      if (h.command_id == static_cast<std::uint32_t>(sd::command_id::bind_transceiver)) {
        reply = bind_trx_resp(h.sequence_number);
      } else if (h.command_id == static_cast<std::uint32_t>(sd::command_id::submit_sm)) {
        reply = submit_sm_resp(h.sequence_number, 0, "smsc-" + std::to_string(h.sequence_number));
        const bytes d = deliver_sm(++out_seq, "id:smsc-" + std::to_string(h.sequence_number) + " stat:DELIVRD");
        reply.insert(reply.end(), d.begin(), d.end());
      } else if (h.command_id == static_cast<std::uint32_t>(sd::command_id::unbind)) {
        reply = sd::pdu_builder(sd::command_id::unbind_resp, h.sequence_number).bytes();
      }
      if (!reply.empty()) net::write(s, net::buffer(reply), ec);
      if (ec) return;
    }
  }
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(web_relay, live_events_of_real_relayed_traffic) {
  test_smsc smsc;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::tap_queue tap(4u << 20);
  sc::analyzer analyzer(ring, sessions);
  analyzer.add_queue(tap);
  sw::metrics_registry registry;
  sw::pdu_counter counter;
  analyzer.add_observer(counter);
  registry.add(counter);
  analyzer.start();

  smppscope::proxy::proxy_options po;
  po.listen = {"127.0.0.1", 0};
  po.upstream = {"127.0.0.1", smsc.port()};
  po.taps = {&tap};
  po.log = [](std::string_view) {};
  smppscope::proxy::proxy relay(po);
  relay.start();

  sw::server_options wo;
  wo.ws_batch_interval = std::chrono::milliseconds(20);
  sw::server web(wo, ring, sessions, registry);
  web.start();
  ws_client ws;
  ASSERT_TRUE(ws.connect(web.port())) << ws.error();
  ASSERT_TRUE(ws.next());  // hello

  // The ESME: bind, three submits, read what comes back.
  net::io_context ioc;
  tcp::socket esme(ioc);
  esme.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), relay.port()));
  bytes out = bind_trx(1, "relay-user", "pw");
  for (std::uint32_t i = 0; i < 3; ++i) {
    const bytes s = submit_sm(2 + i, "via relay " + std::to_string(i));
    out.insert(out.end(), s.begin(), s.end());
  }
  net::write(esme, net::buffer(out));

  const auto got = ws.events_until([](const auto& v) {
    return std::count_if(v.begin(), v.end(), [](const json::object& e) {
             return e.at("type").as_string() == "pdu" && e.at("command").as_string() == "deliver_sm";
           }) == 3;
  });
  std::map<std::string, int> by_command;
  std::uint64_t session = 0;
  for (const auto& e : got) {
    if (e.at("type").as_string() == "session_open") session = e.at("session").to_number<std::uint64_t>();
    if (e.at("type").as_string() == "pdu") ++by_command[std::string(e.at("command").as_string())];
  }
  EXPECT_NE(session, 0u);
  EXPECT_EQ(by_command["bind_transceiver"], 1);
  EXPECT_EQ(by_command["bind_transceiver_resp"], 1);
  EXPECT_EQ(by_command["submit_sm"], 3);
  EXPECT_EQ(by_command["submit_sm_resp"], 3);
  EXPECT_EQ(by_command["deliver_sm"], 3);

  const http_result r = http_get(web.port(), "/api/sessions");
  const json::array a = json::parse(r.body).as_array();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].at("system_id").as_string(), "relay-user");
  EXPECT_EQ(a[0].at("state").as_string(), "bound_trx");
  EXPECT_EQ(a[0].at("upstream").as_string(), "127.0.0.1:" + std::to_string(smsc.port()));
  EXPECT_EQ(counter.pdus(static_cast<std::uint32_t>(sd::command_id::submit_sm), sc::direction::esme_to_smsc), 3u);

  esme.close();
  relay.stop();
  analyzer.stop();
}


// An HTTP connection flood and slowloris clients against the web port while an ESME and SMSC
// talk through the relay in the same process: every relayed round trip still completes
// promptly, the web refuses what is over its cap (counted), the trickling clients lose their
// connections at the header deadline, and the web serves again once the flood stops.
TEST(web_relay, relay_keeps_relaying_during_http_flood_and_slowloris) {
  test_smsc smsc;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::tap_queue tap(4u << 20);
  sc::analyzer analyzer(ring, sessions);
  analyzer.add_queue(tap);
  sw::metrics_registry registry;
  analyzer.start();
  smppscope::proxy::proxy_options po;
  po.listen = {"127.0.0.1", 0};
  po.upstream = {"127.0.0.1", smsc.port()};
  po.taps = {&tap};
  po.log = [](std::string_view) {};
  smppscope::proxy::proxy relay(po);
  relay.start();
  sw::server_options wo;
  wo.http_max_connections = 32;
  wo.http_header_timeout = std::chrono::milliseconds(1500);
  sw::server web(wo, ring, sessions, registry);
  web.start();

  net::io_context ioc;
  tcp::socket esme(ioc);
  esme.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), relay.port()));
  net::write(esme, net::buffer(bind_trx(1, "flood", "pw")));
  auto read_pdu = [&] {
    std::uint8_t head[16];
    net::read(esme, net::buffer(head));
    bytes body(sd::read_header({head, 16}).command_length - 16);
    net::read(esme, net::buffer(body));
    return sd::read_header({head, 16});
  };
  EXPECT_EQ(read_pdu().command_id, static_cast<std::uint32_t>(sd::command_id::bind_transceiver_resp));

  // The flood: 300 connections, each starting a request and trickling it.
  std::vector<std::unique_ptr<raw_conn>> flood;
  for (int i = 0; i < 300; ++i) {
    flood.push_back(std::make_unique<raw_conn>(web.port()));
    flood.back()->send("GET /api/sessions HTTP/1.1\r\n");
  }
  std::chrono::steady_clock::duration worst{};
  for (std::uint32_t round = 0; round < 40; ++round) {
    for (auto& c : flood) c->send("X");  // keeps the slowloris alive (or finds it cut)
    const auto t0 = std::chrono::steady_clock::now();
    net::write(esme, net::buffer(submit_sm(100 + round, "ping " + std::to_string(round))));
    EXPECT_EQ(read_pdu().command_id, static_cast<std::uint32_t>(sd::command_id::submit_sm_resp));
    EXPECT_EQ(read_pdu().command_id, static_cast<std::uint32_t>(sd::command_id::deliver_sm));
    worst = std::max(worst, std::chrono::steady_clock::now() - t0);
    std::this_thread::sleep_for(50ms);
  }
  // Generous for a loaded machine; a relay starved by the web would stall for seconds.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(worst).count(), 1500);
  const sw::server_stats s = web.stats();
  EXPECT_GT(s.http_refused_connections, 0u);
  EXPECT_LE(s.http_connections, wo.http_max_connections);
  ASSERT_TRUE(wait_for([&] { return web.stats().http_timeouts >= 32; }, 20s)) << web.stats().http_timeouts;
  flood.clear();
  ASSERT_TRUE(wait_for([&] { return web.stats().http_connections == 0; }, 20s));
  EXPECT_EQ(http_get(web.port(), "/healthz").status, 200u);

  esme.close();
  relay.stop();
  analyzer.stop();
}

}  // namespace
}  // namespace web_test
