// Pure helpers of the proxy: HOST:PORT parsing, CIDR allow-list, the PDU counter.
#include <gtest/gtest.h>

#include <random>

#include "smppscope/proxy/allow_list.hpp"
#include "smppscope/proxy/detail/pdu_counter.hpp"
#include "smppscope/proxy/host_port.hpp"
#include "test_support.hpp"

namespace smppscope::proxy {
namespace {

namespace ip = boost::asio::ip;

TEST(host_port, accepts_ipv4_ipv6_and_names) {
  auto a = parse_host_port("127.0.0.1:2775");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 2775);
  EXPECT_TRUE(a->is_ip_literal());
  EXPECT_EQ(a->to_string(), "127.0.0.1:2775");

  auto b = parse_host_port("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_TRUE(b->is_ip_literal());
  EXPECT_EQ(b->to_string(), "[::1]:0");

  auto c = parse_host_port("smsc-1.example.net:65535");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "smsc-1.example.net");
  EXPECT_EQ(c->port, 65535);
  EXPECT_FALSE(c->is_ip_literal());
}

TEST(host_port, refuses_malformed) {
  for (const char* bad : {"", "2775", ":2775", "host:", "host:65536", "host:-1", "host:27x5", "::1:2775",
                          "[::1]", "[::1:2775", "[nothost]:2775", "ho st:1", "host:123456"}) {
    EXPECT_FALSE(parse_host_port(bad)) << bad;
  }
}

TEST(allow_list, ipv4_and_ipv6_blocks) {
  auto net = cidr::parse("10.1.2.3/8");
  ASSERT_TRUE(net);
  EXPECT_EQ(net->to_string(), "10.0.0.0/8");
  EXPECT_TRUE(net->contains(ip::make_address("10.255.0.1")));
  EXPECT_FALSE(net->contains(ip::make_address("11.0.0.1")));
  // IPv4-mapped addresses from a dual-stack listener match IPv4 blocks.
  EXPECT_TRUE(net->contains(ip::make_address("::ffff:10.9.9.9")));
  EXPECT_FALSE(net->contains(ip::make_address("::1")));

  auto host = cidr::parse("192.168.1.7");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(ip::make_address("192.168.1.7")));
  EXPECT_FALSE(host->contains(ip::make_address("192.168.1.6")));

  auto v6 = cidr::parse("2001:db8:abcd::/36");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip::make_address("2001:db8:abc0::1")));
  EXPECT_FALSE(v6->contains(ip::make_address("2001:db8:b000::1")));
  EXPECT_FALSE(v6->contains(ip::make_address("10.0.0.1")));

  auto odd = cidr::parse("172.16.0.0/12");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip::make_address("172.31.255.255")));
  EXPECT_FALSE(odd->contains(ip::make_address("172.32.0.0")));

  auto all = cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains(ip::make_address("8.8.8.8")));

  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/8x", "fish"})
    EXPECT_FALSE(cidr::parse(bad)) << bad;

  allow_list l;
  EXPECT_TRUE(l.allows(ip::make_address("1.2.3.4")));  // empty: everyone
  l.add(*host);
  l.add(*v6);
  EXPECT_TRUE(l.allows(ip::make_address("192.168.1.7")));
  EXPECT_TRUE(l.allows(ip::make_address("2001:db8:abcd::5")));
  EXPECT_FALSE(l.allows(ip::make_address("127.0.0.1")));
}

TEST(pdu_counter, counts_across_any_chunking) {
  const auto stream = test::make_pdu_stream(2000, 7);
  std::mt19937_64 rng(1);
  for (int round = 0; round < 20; ++round) {
    detail::pdu_counter c;
    std::size_t at = 0;
    while (at < stream.size()) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % (round < 10 ? 7 : 5000), stream.size() - at);
      c.feed({stream.data() + at, n});
      at += n;
    }
    EXPECT_EQ(c.pdus(), 2000u);
    EXPECT_TRUE(c.in_sync());
  }
}

TEST(pdu_counter, bad_length_goes_out_of_sync) {
  detail::pdu_counter c(1024);
  auto ok = test::pdu(0x15, 1);
  c.feed(ok);
  EXPECT_EQ(c.pdus(), 1u);
  const std::uint8_t zero[] = {0, 0, 0, 0, 0, 0, 0, 0x15};
  c.feed(zero);
  EXPECT_FALSE(c.in_sync());
  c.feed(ok);
  EXPECT_EQ(c.pdus(), 1u);

  detail::pdu_counter big(1024);
  const std::uint8_t huge[] = {0xFF, 0xFF, 0xFF, 0xFF};
  big.feed(huge);
  EXPECT_FALSE(big.in_sync());
}

}  // namespace
}  // namespace smppscope::proxy
