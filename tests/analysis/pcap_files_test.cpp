// The pcap writer's files on disk: private modes, no overwriting or symlink following, the
// directory policy, retention (total size, age) touching only our own files, and a full disk
// (a real tmpfs) that pauses capture and resumes when space returns.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>

#include "analysis_test_util.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/pcap_writer.hpp"

using namespace analysis_test;
namespace fs = std::filesystem;

namespace {

constexpr auto e2s = sc::direction::esme_to_smsc;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string utc_stamp(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

void write_file(const fs::path& p, std::size_t size, char fill = 'x') {
  std::ofstream f(p, std::ios::binary);
  f << std::string(size, fill);
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void set_age(const fs::path& p, std::int64_t seconds_ago) {
  const std::time_t t = std::time(nullptr) - seconds_ago;
  const timespec ts[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0) << p;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> s;
  for (const auto& e : fs::directory_iterator(dir)) s.insert(e.path().filename().string());
  return s;
}

// Records in a classic pcap file, or -1 when the last one is torn (the file does not end on a
// record boundary).
long whole_records(const fs::path& p) {
  const std::string s = read_file(p);
  if (s.size() < 24) return -1;
  std::size_t pos = 24;
  long n = 0;
  while (pos < s.size()) {
    if (s.size() - pos < 16) return -1;
    std::uint32_t incl;
    std::memcpy(&incl, s.data() + pos + 8, 4);
    if (s.size() - pos - 16 < incl) return -1;
    pos += 16 + incl;
    ++n;
  }
  return n;
}

// Feeds `n` submit_sm through the writer as one session's ESME direction and ends the batch.
struct feeder {
  sc::pcap_writer& w;
  std::int64_t now = sc::now_us();
  std::uint32_t seq = 0;
  explicit feeder(sc::pcap_writer& writer, std::uint64_t session = 1) : w(writer) {
    w.on_record(open_record(session, now));
  }
  void batch(int n, std::int64_t advance_us = 1000) {
    for (int i = 0; i < n; ++i) w.on_record(data_record(1, e2s, now, submit(++seq, std::string(60, 'm'))));
    now += advance_us;
    w.on_batch_end(now);
  }
};

}  // namespace

TEST(PcapFiles, PrivateModesAndNeverOverwritesOrFollowsAtTheTargetName) {
  temp_dir tmp;
  const fs::path dir = tmp.path / "a" / "b";
  {
    sc::pcap_writer probe({.dir = dir});  // creates "a" and "b"
    EXPECT_EQ(mode_of(tmp.path / "a"), 0700u);
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(probe.current_file()), 0600u);
  }
  for (const auto& f : fs::directory_iterator(dir)) fs::remove(f.path());

  // Our first two names for this second and the next two are taken: by a file and a symlink.
  const fs::path outside = tmp.path / "outside.txt";
  write_file(outside, 9, 'o');
  std::vector<std::string> taken_files, taken_links;
  const std::time_t now = std::time(nullptr);
  for (std::time_t t = now; t <= now + 2; ++t) {
    taken_files.push_back("smppscope-" + utc_stamp(t) + "-1.pcap");
    taken_links.push_back("smppscope-" + utc_stamp(t) + "-2.pcap");
    write_file(dir / taken_files.back(), 7, 'k');
    fs::create_symlink(outside, dir / taken_links.back());
  }

  const mode_t old_umask = ::umask(0);  // a careless umask cannot widen the file mode
  sc::pcap_writer w({.dir = dir});
  ::umask(old_umask);
  const fs::path cur = w.current_file();
  ASSERT_FALSE(cur.empty());
  EXPECT_TRUE(cur.filename().string().ends_with("-3.pcap")) << cur;
  EXPECT_EQ(mode_of(cur), 0600u);
  feeder f(w);
  f.batch(5);
  w.close();
  for (std::size_t i = 0; i < taken_files.size(); ++i) {
    EXPECT_EQ(read_file(dir / taken_files[i]), "kkkkkkk");
    EXPECT_TRUE(fs::is_symlink(dir / taken_links[i]));
  }
  EXPECT_EQ(read_file(outside), "ooooooooo");  // the symlink's target untouched
  EXPECT_GT(fs::file_size(cur), 24u);
}

TEST(PcapFiles, DirectoryPolicyRefusesSymlinksAndWorldWritableDirs) {
  temp_dir tmp;
  auto refused = [](const fs::path& d, const std::string& why) {
    try {
      sc::pcap_writer w({.dir = d});
      ADD_FAILURE() << d << " was accepted";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      std::string shown = d.string();
      while (shown.ends_with('/')) shown.pop_back();
      EXPECT_NE(msg.find("--pcap-dir " + shown + ": "), std::string::npos) << msg;
      EXPECT_NE(msg.find(why), std::string::npos) << msg;
    }
  };
  fs::create_directory(tmp.path / "real");
  fs::create_directory_symlink(tmp.path / "real", tmp.path / "link");
  refused(tmp.path / "link", "symbolic link");
  refused(tmp.path / "link/", "symbolic link");  // a trailing slash must not make it follow
  EXPECT_TRUE(fs::is_empty(tmp.path / "real"));

  fs::create_directory(tmp.path / "open");
  ::chmod((tmp.path / "open").c_str(), 0777);
  refused(tmp.path / "open", "world-writable");
  EXPECT_TRUE(fs::is_empty(tmp.path / "open"));

  write_file(tmp.path / "plain", 1);
  refused(tmp.path / "plain", "not a directory");

  // World-writable with the sticky bit (like /tmp): accepted, with a warning.
  fs::create_directory(tmp.path / "sticky");
  ::chmod((tmp.path / "sticky").c_str(), 01777);
  testing::internal::CaptureStderr();
  {
    sc::pcap_writer w({.dir = tmp.path / "sticky"});
    EXPECT_EQ(mode_of(w.current_file()), 0600u);
  }
  EXPECT_NE(testing::internal::GetCapturedStderr().find("world-writable (sticky)"), std::string::npos);
}

TEST(PcapFiles, DurationsParse) {
  EXPECT_EQ(sc::parse_duration_seconds("7d"), 7 * 86400);
  EXPECT_EQ(sc::parse_duration_seconds("12h"), 12 * 3600);
  EXPECT_EQ(sc::parse_duration_seconds("30m"), 1800);
  EXPECT_EQ(sc::parse_duration_seconds("45s"), 45);
  EXPECT_EQ(sc::parse_duration_seconds("3600"), 3600);
  EXPECT_EQ(sc::parse_duration_seconds("2w"), 14 * 86400);
  EXPECT_EQ(sc::parse_duration_seconds("0"), 0);
  for (const char* bad : {"", "d", "-1", "1.5h", "7x", "1dd", " 7d", "9999999999999"})
    EXPECT_FALSE(sc::parse_duration_seconds(bad)) << bad;
}

// Pre-existing own files of 10 KiB, one day apart; foreign files (other names, an own-looking
// symlink, an own-looking directory) must survive whatever the limits.
struct retention_dir {
  temp_dir tmp;
  fs::path dir = tmp.path / "caps";
  std::vector<std::string> own;  // oldest first
  std::set<std::string> foreign = {"notes.txt", "other.pcap", "smppscope-2025.pcap", "smppscopeX-20200101-000000-1.pcap",
                                   "smppscope-20200101-000000-1.pcap.bak", "smppscope-20190101-000000-1.pcap",
                                   "smppscope-20190101-000000-2.pcap"};
  explicit retention_dir(int n_own) {
    fs::create_directory(dir);
    fs::permissions(dir, fs::perms::owner_all);
    for (int i = 0; i < n_own; ++i) {
      own.push_back("smppscope-2026010" + std::to_string(i + 1) + "-000000-1.pcap");
      write_file(dir / own.back(), 10240);
      set_age(dir / own.back(), (40 - i) * 86400);
    }
    for (const auto& f : foreign) {
      if (f == "smppscope-20190101-000000-1.pcap") {
        fs::create_symlink(tmp.path / "target", dir / f);  // own-looking name, not a regular file
      } else if (f == "smppscope-20190101-000000-2.pcap") {
        fs::create_directory(dir / f);
      } else {
        write_file(dir / f, 50000);
        set_age(dir / f, 100 * 86400);
      }
    }
    write_file(tmp.path / "target", 3, 't');
  }
  void expect_foreign_intact() {
    const auto names = names_in(dir);
    for (const auto& f : foreign) EXPECT_TRUE(names.count(f)) << f;
    EXPECT_EQ(read_file(tmp.path / "target"), "ttt");
  }
};

TEST(PcapFiles, MaxTotalDeletesOnlyTheOldestOwnFiles) {
  retention_dir r(5);
  testing::internal::CaptureStderr();
  sc::pcap_writer w({.dir = r.dir, .legs = sc::pcap_legs::client, .rotate_bytes = 8192, .rotate_seconds = 0,
                     .max_total_bytes = 35 * 1024});
  // At start: 50 KiB of ours, limit 35 KiB: the two oldest go, the file being written stays.
  auto names = names_in(r.dir);
  EXPECT_FALSE(names.count(r.own[0]));
  EXPECT_FALSE(names.count(r.own[1]));
  for (int i = 2; i < 5; ++i) EXPECT_TRUE(names.count(r.own[std::size_t(i)])) << r.own[std::size_t(i)];
  EXPECT_EQ(w.stats().deleted_files, 2u);
  EXPECT_EQ(w.stats().deleted_bytes, 2u * 10240);
  r.expect_foreign_intact();

  // Writing and rotating (8 KiB files) pushes out the older ones, oldest first.
  feeder f(w);
  for (int i = 0; i < 40; ++i) f.batch(10);
  const fs::path cur = w.current_file();
  w.close();
  EXPECT_NE(testing::internal::GetCapturedStderr().find("retention removed"), std::string::npos);
  names = names_in(r.dir);
  std::uint64_t total = 0;
  std::vector<std::string> ours;
  for (const auto& n : names)
    if (!r.foreign.count(n)) {
      ours.push_back(n);
      total += fs::file_size(r.dir / n);
    }
  EXPECT_LE(total, 35u * 1024 + 8192 + 512);  // the file being written may pass the limit by one rotation
  EXPECT_TRUE(std::find(ours.begin(), ours.end(), cur.filename().string()) != ours.end());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(names.count(r.own[std::size_t(i)])) << "older than every new file";
  EXPECT_GE(ours.size(), 3u);
  r.expect_foreign_intact();
}

TEST(PcapFiles, MaxAgeDeletesOnlyOldOwnFiles) {
  retention_dir r(3);  // 40, 39 and 38 days old
  write_file(r.dir / "smppscope-20260110-000000-1.pcap", 100);
  set_age(r.dir / "smppscope-20260110-000000-1.pcap", 8 * 86400);
  write_file(r.dir / "smppscope-20260111-000000-1.pcap", 100);
  set_age(r.dir / "smppscope-20260111-000000-1.pcap", 6 * 86400);
  testing::internal::CaptureStderr();
  sc::pcap_writer w({.dir = r.dir, .legs = sc::pcap_legs::client, .max_age_seconds = 7 * 86400,
                     .retention_every_us = 10'000'000});
  auto names = names_in(r.dir);
  for (const auto& o : r.own) EXPECT_FALSE(names.count(o)) << o;
  EXPECT_FALSE(names.count("smppscope-20260110-000000-1.pcap"));
  EXPECT_TRUE(names.count("smppscope-20260111-000000-1.pcap"));
  EXPECT_EQ(w.stats().deleted_files, 4u);
  r.expect_foreign_intact();

  // Checked again every retention_every_us while writing.
  feeder f(w);
  set_age(r.dir / "smppscope-20260111-000000-1.pcap", 8 * 86400);
  f.batch(1);
  EXPECT_TRUE(fs::exists(r.dir / "smppscope-20260111-000000-1.pcap"));  // not due yet
  f.batch(1, 11'000'000);
  EXPECT_FALSE(fs::exists(r.dir / "smppscope-20260111-000000-1.pcap"));
  EXPECT_TRUE(fs::exists(w.current_file()));
  EXPECT_EQ(w.stats().deleted_files, 5u);
  testing::internal::GetCapturedStderr();
  r.expect_foreign_intact();
}

// A real full disk: a 256 KiB tmpfs. Capture pauses (once in the log and the stats), the file is
// cut back to whole records, retries first apply retention, never leave new files behind while
// the disk stays full, and capture resumes when space returns.
TEST(PcapFiles, FullDiskPausesTriesRetentionAndResumesWhenSpaceReturns) {
  temp_dir tmp;
  const fs::path mnt = tmp.path / "mnt";
  fs::create_directory(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=256k,mode=0700") != 0)
    GTEST_SKIP() << "cannot mount a 256k tmpfs to fill (" << std::strerror(errno)
                 << "); this test needs root or CAP_SYS_ADMIN";
  struct unmount {
    fs::path p;
    ~unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount_at_end{mnt};
  write_file(mnt / "filler.bin", 64 * 1024);

  testing::internal::CaptureStderr();
  sc::pcap_writer w({.dir = mnt / "caps", .legs = sc::pcap_legs::client, .rotate_bytes = 0, .rotate_seconds = 0,
                     .retry_after_us = 1'000'000, .retry_max_us = 2'000'000, .max_age_seconds = 7 * 86400,
                     .retention_every_us = 3600'000'000, .resume_free_bytes = 16 * 1024});
  EXPECT_EQ(mode_of(mnt / "caps"), 0700u);
  // Two old captures of ours appear after start (so only a retry's retention removes them).
  const fs::path old1 = mnt / "caps" / "smppscope-20250101-000000-1.pcap", old2 = mnt / "caps" / "smppscope-20250102-000000-1.pcap";
  write_file(old1, 40 * 1024);
  write_file(old2, 40 * 1024);
  set_age(old1, 30 * 86400);
  set_age(old2, 29 * 86400);

  const fs::path first = w.current_file();
  feeder f(w);
  auto fill_until_paused = [&] {
    for (int i = 0; i < 400 && !w.stats().paused; ++i) f.batch(20);
  };
  fill_until_paused();
  ASSERT_TRUE(w.stats().paused);
  EXPECT_TRUE(w.current_file().empty());
  EXPECT_GT(whole_records(first), 100);  // cut back to whole records, still a valid pcap
  EXPECT_EQ(w.stats().write_errors, 1u);
  const auto dropped_at_pause = w.stats().dropped_records;
  EXPECT_GT(dropped_at_pause, 0u);  // the records of the batch that did not fit
  f.batch(20, 0);  // while paused: counted, not written
  EXPECT_EQ(w.stats().dropped_records, dropped_at_pause + 20);

  // The retry applies retention first (the two old files are past --pcap-max-age), finds room
  // and resumes in a new file.
  f.batch(0, 1'100'000);
  EXPECT_FALSE(w.stats().paused);
  EXPECT_EQ(w.stats().deleted_files, 2u);
  EXPECT_FALSE(fs::exists(old1));
  EXPECT_FALSE(fs::exists(old2));
  const fs::path second = w.current_file();
  ASSERT_FALSE(second.empty());
  EXPECT_NE(second, first);

  // Full again, nothing left to delete: retries with back-off create no files.
  fill_until_paused();
  ASSERT_TRUE(w.stats().paused);
  const auto files_when_full = names_in(mnt / "caps");
  for (int i = 0; i < 6; ++i) f.batch(5, 2'100'000);
  EXPECT_EQ(names_in(mnt / "caps"), files_when_full);
  EXPECT_TRUE(w.stats().paused);
  EXPECT_GE(w.stats().dropped_records, dropped_at_pause + 20 + 30);
  EXPECT_GT(w.stats().dropped_bytes, 0u);

  // Space returns: capture resumes, says so once.
  fs::remove(mnt / "filler.bin");
  f.batch(5, 2'100'000);
  EXPECT_FALSE(w.stats().paused);
  const fs::path third = w.current_file();
  ASSERT_FALSE(third.empty());
  f.batch(5);
  w.close();
  const std::string log = testing::internal::GetCapturedStderr();
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = log.find(what); p != std::string::npos; p = log.find(what, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("capture paused"), 2u) << log;  // once per episode, not once per retry
  EXPECT_EQ(count("capture resumed"), 2u) << log;
  EXPECT_EQ(count("No space left on device"), 2u) << log;
  EXPECT_EQ(count("retention removed"), 1u) << log;

  for (const auto& n : names_in(mnt / "caps")) {
    EXPECT_GT(whole_records(mnt / "caps" / n), 0) << n;
    EXPECT_EQ(mode_of(mnt / "caps" / n), 0600u) << n;
  }
  EXPECT_GE(whole_records(third), 5) << "the resumed file holds the batch after the resume";
  if (have_tshark()) {  // the cut-back file reads cleanly (no "cut short in the middle of a packet")
    int status = 0;
    const std::string err = run("tshark -r " + shell_quote(first.string()) + " 2>&1 >/dev/null", &status);
    EXPECT_EQ(status, 0) << err;
    EXPECT_EQ(err.find("cut short"), std::string::npos) << err;
  }
}
