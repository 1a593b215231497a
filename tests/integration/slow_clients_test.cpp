// Slow and abusive clients against the real `berth serve`: a request head sent a byte at a
// time (slowloris), bodies that trickle or stall, clients that read a blob too slowly,
// thousands of connections that send nothing or half a head, connections over the limit.
// Each attack must be cut off within the bound its limits.* key sets (short here, through
// BERTH_* variables), and a normal client must be served meanwhile. These tests wait on
// purpose, so they are a suite of their own (ctest label abuse, about a minute).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "raw_connection.h"
#include "registry_fixture.h"

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The soft descriptor limit of this process, raised to `wanted` if the hard limit allows.
rlim_t ensure_descriptors(rlim_t wanted) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted && limit.rlim_max >= wanted) {
    limit.rlim_cur = wanted;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

class SlowClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth's own limits; REGISTRY_URL is set";
  }

  // Starts a Berth with `environment` (BERTH_LIMITS_* and the like) and a client for it.
  void start(std::map<std::string, std::string> environment) {
    BerthOptions options;
    options.environment = std::move(environment);
    std::string error;
    instance_ = RegistryInstance::spawn_berth(&error, std::move(options));
    ASSERT_NE(instance_, nullptr) << error;
    client_ = std::make_unique<HttpClient>(instance_->url());
    client_->set_basic_auth("admin", kAdminPassword);
    client_->set_timeout(10s);
  }

  // A normal client's GET /v2/ on a fresh connection: must answer 200 within `bound`.
  // Returns how long it took, in milliseconds.
  double expect_served_promptly(std::chrono::milliseconds bound, std::string_view while_what) {
    HttpClient fresh(instance_->url());
    fresh.set_basic_auth("admin", kAdminPassword);
    fresh.set_timeout(10s);
    const auto started = Clock::now();
    const Response r = fresh.get("/v2/");
    const auto took = Clock::now() - started;
    EXPECT_EQ(r.status, 200) << while_what << ": " << r;
    EXPECT_LT(took, bound) << while_what << ": GET /v2/ took "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    return std::chrono::duration<double, std::milli>(took).count();
  }

  // Sends `data` in pieces of `piece` bytes, one every `interval`, until the server closes
  // the connection, all is sent or `give_up` passes; once, a second in, a normal client must
  // be served promptly. Returns how many bytes went out.
  std::size_t send_slowly(RawConnection& connection, std::string_view data, std::size_t piece,
                          std::chrono::milliseconds interval, std::chrono::seconds give_up,
                          std::string_view what) {
    const auto started = Clock::now();
    std::size_t sent = 0;
    bool checked_normal_client = false;
    while (sent < data.size() && !connection.poll_now() && Clock::now() - started < give_up) {
      if (!connection.send(data.substr(sent, piece))) break;
      sent = std::min(data.size(), sent + piece);
      if (!checked_normal_client && Clock::now() - started > 1s) {
        expect_served_promptly(1s, what);
        checked_normal_client = true;
      }
      std::this_thread::sleep_for(interval);
    }
    EXPECT_TRUE(checked_normal_client) << what << ": the normal client was not tried";
    return sent;
  }

  // POST /v2/<repo>/blobs/uploads/: the upload's Location.
  std::string start_upload_location(const std::string& repo) {
    const Response r = start_upload(*client_, repo);
    EXPECT_EQ(r.status, 202) << r;
    return path_of(r.header("Location"));
  }

  RegistryInstance& registry() { return *instance_; }
  HttpClient& client() { return *client_; }

 private:
  std::unique_ptr<RegistryInstance> instance_;
  std::unique_ptr<HttpClient> client_;
};

// ---- request heads ----

TEST_F(SlowClientsTest, HeadSentAByteAtATimeIsCutOffAtTheHeaderTimeout) {
  start({{"BERTH_LIMITS_HEADER_TIMEOUT", "2s"}, {"BERTH_LIMITS_IDLE_TIMEOUT", "30s"}});
  RawConnection slowloris(registry().port());
  ASSERT_TRUE(slowloris.ok());
  // A valid head that never ends: one byte every 200 ms, far inside any per-read timeout.
  const std::string head = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(1000, 'a');
  const auto first_byte = Clock::now();
  const std::size_t sent = send_slowly(slowloris, head, 1, 200ms, 10s, "during a slowloris head");
  ASSERT_TRUE(slowloris.read_until_closed(3s)) << "the slow head was still being read after 10 s";
  const double cut_after = seconds_between(first_byte, *slowloris.closed_at());
  EXPECT_TRUE(slowloris.received().starts_with("HTTP/1.1 408 ")) << slowloris.received();
  EXPECT_GE(cut_after, 1.8) << "cut off before the header timeout";
  EXPECT_LT(cut_after, 3.5) << "not cut off at the 2 s header timeout";
  EXPECT_GT(sent, 5u);
  std::cout << "slowloris head: " << sent << " bytes sent, 408 and closed after " << cut_after << " s\n";
}

TEST_F(SlowClientsTest, SilentConnectionIsClosedAtTheIdleTimeout) {
  start({{"BERTH_LIMITS_IDLE_TIMEOUT", "2s"}});
  const auto opened = Clock::now();
  RawConnection silent(registry().port());
  ASSERT_TRUE(silent.ok());
  ASSERT_TRUE(silent.read_until_closed(6s)) << "a connection that sent nothing was kept past 6 s";
  const double closed_after = seconds_between(opened, *silent.closed_at());
  EXPECT_EQ(silent.received(), "") << "a connection that asked nothing got an answer";
  EXPECT_GE(closed_after, 1.8);
  EXPECT_LT(closed_after, 3.5);
}

// ---- request bodies ----

TEST_F(SlowClientsTest, TricklingBodyIsCutOffAndTheBytesReceivedAreKept) {
  start({{"BERTH_LIMITS_BODY_TIMEOUT", "2s"}, {"BERTH_LIMITS_MIN_BODY_RATE", "1024"}});
  const std::string repo = unique_repo();
  const Blob blob = random_blob(256 * 1024);
  const std::string location = start_upload_location(repo);
  ASSERT_FALSE(location.empty());

  RawConnection trickle(registry().port());
  ASSERT_TRUE(trickle.ok());
  ASSERT_TRUE(trickle.send(
      "PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + admin_authorization_line() +
      "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(blob.data.size()) +
      "\r\n\r\n"));
  // 100 bytes every 200 ms: 500 B/s, half the minimum rate, with pauses far under the
  // 2 s body timeout. The budget is 2 s + 1 s per KiB received: gone after about 4 s.
  const auto started = Clock::now();
  const std::size_t sent = send_slowly(trickle, blob.data, 100, 200ms, 15s, "during a trickling upload");
  ASSERT_TRUE(trickle.read_until_closed(3s)) << "a 500 B/s body was still being read after 15 s";
  const double cut_after = seconds_between(started, *trickle.closed_at());
  EXPECT_GE(cut_after, 3.0) << "cut off before the body had used its budget";
  EXPECT_LT(cut_after, 6.5) << "a 500 B/s body was not cut off when its budget ran out";
  // The client learns why, in the registry's error format.
  EXPECT_TRUE(trickle.received().starts_with("HTTP/1.1 400 ")) << trickle.received();
  EXPECT_TRUE(contains(trickle.received(), "BLOB_UPLOAD_INVALID")) << trickle.received();
  EXPECT_TRUE(contains(trickle.received(), "too slow")) << trickle.received();
  std::cout << "trickling body: " << sent << " bytes at 500 B/s, cut off after " << cut_after << " s\n";

  // What arrived is kept: the upload goes on from there and completes.
  const Response status = client().get(location);
  ASSERT_EQ(status.status, 204) << status;
  const std::string range = status.header("Range");
  ASSERT_TRUE(range.starts_with("0-")) << range;
  const std::size_t stored = std::stoul(range.substr(2)) + 1;
  EXPECT_GT(stored, 1000u);
  EXPECT_LE(stored, sent);
  const Response finished =
      client().put(with_query(location, "digest", blob.digest), blob.data.substr(stored),
                   {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(finished.status, 201) << finished;
  const Response pulled = client().get(blob_path(repo, blob.digest));
  EXPECT_EQ(pulled.status, 200);
  EXPECT_TRUE(pulled.body == blob.data) << "the resumed blob differs from what was sent";
}

TEST_F(SlowClientsTest, StalledBodyIsCutOffAtTheBodyTimeout) {
  start({{"BERTH_LIMITS_BODY_TIMEOUT", "2s"}});
  const std::string repo = unique_repo();
  const std::string location = start_upload_location(repo);
  RawConnection stalled(registry().port());
  ASSERT_TRUE(stalled.ok());
  // 64 KiB at once (which earns a minute at the minimum rate), then nothing.
  ASSERT_TRUE(stalled.send(
      "PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + admin_authorization_line() +
      "Content-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n" + random_bytes(64 * 1024)));
  const auto stalled_at = Clock::now();
  ASSERT_TRUE(stalled.read_until_closed(8s)) << "a stalled body was waited for past 8 s";
  const double cut_after = seconds_between(stalled_at, *stalled.closed_at());
  EXPECT_GE(cut_after, 1.8);
  EXPECT_LT(cut_after, 3.5) << "a pause in the body was allowed past the 2 s body timeout";
  EXPECT_TRUE(contains(stalled.received(), "BLOB_UPLOAD_INVALID")) << stalled.received();
  const Response status = client().get(location);
  EXPECT_EQ(status.status, 204) << status;
  EXPECT_EQ(status.header("Range"), "0-65535") << "the bytes received before the stall were not kept";
}

TEST_F(SlowClientsTest, SlowButSteadyUploadIsNotCutOff) {
  // A real client on a slow link: 4 KiB/s, four times the minimum rate, with one pause of
  // 1.5 s, for about 6 s in all: three times the 2 s body timeout.
  start({{"BERTH_LIMITS_BODY_TIMEOUT", "2s"}, {"BERTH_LIMITS_MIN_BODY_RATE", "1024"}});
  const std::string repo = unique_repo();
  const Blob blob = random_blob(20 * 1024);
  RawConnection upload(registry().port());
  ASSERT_TRUE(upload.ok());
  ASSERT_TRUE(upload.send("POST " + uploads_path(repo) + "?digest=" + blob.digest +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + admin_authorization_line() +
                          "Content-Type: application/octet-stream\r\nContent-Length: " +
                          std::to_string(blob.data.size()) + "\r\n\r\n"));
  const auto started = Clock::now();
  for (std::size_t sent = 0; sent < blob.data.size(); sent += 1024) {
    ASSERT_FALSE(upload.poll_now()) << "a 4 KiB/s upload was cut off after " << sent
                                    << " bytes: " << upload.received();
    ASSERT_TRUE(upload.send(std::string_view(blob.data).substr(sent, 1024)));
    std::this_thread::sleep_for(sent == 8 * 1024 ? 1500ms : 250ms);
  }
  const auto answer_deadline = Clock::now() + 5s;
  while (!contains(upload.received(), "\r\n\r\n") && !upload.closed() && Clock::now() < answer_deadline)
    upload.read_some(4096, 100ms);
  const double took = seconds_between(started, Clock::now());
  EXPECT_TRUE(upload.received().starts_with("HTTP/1.1 201 ")) << upload.received();
  EXPECT_GT(took, 5.0);
  const Response pulled = client().get(blob_path(repo, blob.digest));
  EXPECT_EQ(pulled.status, 200);
  EXPECT_TRUE(pulled.body == blob.data);
}

// ---- responses ----

// GETs the blob on a raw connection and reads `per_tick` bytes every 100 ms until Berth
// closes its side (its descriptor count falls back) or `patience` passes. Returns how
// long that took; *received is all the client got, the kernel's buffers drained at the end.
double read_blob_slowly(RegistryInstance& registry, const std::string& repo, const Blob& blob,
                        std::size_t per_tick, std::chrono::seconds patience, std::size_t* received) {
  const int pid = registry.pid();
  const int descriptors_before = open_descriptors(pid);
  RawConnection reader(registry.port());
  EXPECT_TRUE(reader.ok());
  reader.count_only();
  EXPECT_TRUE(reader.send("GET " + blob_path(repo, blob.digest) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          admin_authorization_line() + "\r\n"));
  const auto started = Clock::now();
  bool server_closed = false;
  while (!server_closed && Clock::now() - started < patience) {
    if (per_tick > 0) reader.read_some(per_tick, 100ms);
    std::this_thread::sleep_for(100ms);
    server_closed = open_descriptors(pid) <= descriptors_before;
  }
  const double took = seconds_between(started, Clock::now());
  EXPECT_TRUE(server_closed) << "the slow reader was still being served after " << took << " s";
  EXPECT_TRUE(reader.read_until_closed(10s));
  *received = reader.received_bytes();
  return took;
}

TEST_F(SlowClientsTest, ClientThatStopsReadingIsCutOffAtTheSendTimeout) {
  start({{"BERTH_LIMITS_SEND_TIMEOUT", "2s"}});
  const std::string repo = unique_repo();
  const Blob blob = random_blob(32 * 1024 * 1024);
  ASSERT_EQ(push_blob(client(), repo, blob).status, 201);
  std::size_t received = 0;
  // The kernel takes a few MiB at once; then nothing moves, and 2 s later Berth lets go.
  const double cut_after = read_blob_slowly(registry(), repo, blob, 0, 10s, &received);
  EXPECT_LT(cut_after, 5.0);
  EXPECT_LT(received, blob.data.size() / 2);
  std::cout << "client that stops reading: cut off after " << cut_after << " s, " << received
            << " bytes sent\n";
}

TEST_F(SlowClientsTest, ClientReadingABlobTooSlowlyIsCutOffAndAFastOneIsNot) {
  // 4 MiB/s minimum, so that the test is short: a reader at 1 MB/s is too slow, although it
  // never pauses long enough for the 2 s send timeout.
  start({{"BERTH_LIMITS_SEND_TIMEOUT", "2s"}, {"BERTH_LIMITS_MIN_SEND_RATE", "4194304"}});
  const std::string repo = unique_repo();
  const Blob blob = random_blob(32 * 1024 * 1024);
  ASSERT_EQ(push_blob(client(), repo, blob).status, 201);
  std::size_t received = 0;
  // 100 KB every 100 ms: the whole blob would take over 30 s.
  const double cut_after = read_blob_slowly(registry(), repo, blob, 100 * 1000, 20s, &received);
  EXPECT_GT(cut_after, 2.0);
  EXPECT_LT(cut_after, 15.0);
  EXPECT_LT(received, blob.data.size() * 3 / 4) << "a 1 MB/s reader got most of a 32 MiB blob";
  std::cout << "slow reader: cut off after " << cut_after << " s, having got " << received << " of "
            << blob.data.size() << " bytes\n";

  // A client that reads at full speed gets the whole blob under the same limits.
  const Response pulled = client().get(blob_path(repo, blob.digest));
  EXPECT_EQ(pulled.status, 200);
  EXPECT_TRUE(pulled.body == blob.data);
}

// ---- many connections ----

TEST_F(SlowClientsTest, ThousandsOfIdleConnectionsCostLittleAndDoNotStarveANormalClient) {
  constexpr std::size_t kSilent = 3000;
  constexpr std::size_t kPartial = 3000;
  if (ensure_descriptors(kSilent + kPartial + 500) < kSilent + kPartial + 500)
    GTEST_SKIP() << "this process may not open " << kSilent + kPartial << " sockets";
  start({{"BERTH_LIMITS_MAX_CONNECTIONS", "7000"},
         {"BERTH_LIMITS_IDLE_TIMEOUT", "8s"},
         {"BERTH_LIMITS_HEADER_TIMEOUT", "8s"}});
  const std::string repo = unique_repo();
  const Blob blob = random_blob(4 * 1024 * 1024);
  ASSERT_EQ(push_blob(client(), repo, blob).status, 201);
  ASSERT_EQ(client().get(blob_path(repo, blob.digest)).status, 200);  // warm: a pull has been served once
  const int pid = registry().pid();
  const int descriptors_before = open_descriptors(pid);
  const std::size_t rss_before = resident_kib(pid);

  // Waits until the server holds `count` more descriptors (it accepted them all).
  const auto wait_accepted = [&](std::size_t count) {
    const auto deadline = Clock::now() + 10s;
    while (open_descriptors(pid) < descriptors_before + static_cast<int>(count) && Clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    return open_descriptors(pid) >= descriptors_before + static_cast<int>(count);
  };

  std::vector<RawConnection> connections;
  connections.reserve(kSilent + kPartial);
  const auto opened = Clock::now();
  for (std::size_t i = 0; i < kSilent; ++i) {
    connections.emplace_back(registry().port());
    ASSERT_TRUE(connections.back().ok()) << "connection " << i;
  }
  ASSERT_TRUE(wait_accepted(kSilent));
  const std::size_t rss_silent = resident_kib(pid);
  const std::string partial_head = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ";
  for (std::size_t i = 0; i < kPartial; ++i) {
    connections.emplace_back(registry().port());
    ASSERT_TRUE(connections.back().ok() && connections.back().send(partial_head)) << "connection " << i;
  }
  const auto all_open = Clock::now();
  ASSERT_TRUE(wait_accepted(kSilent + kPartial));
  std::this_thread::sleep_for(300ms);  // the partial heads are read
  const std::size_t rss_all = resident_kib(pid);
  const double silent_bytes =
      static_cast<double>(rss_silent - std::min(rss_silent, rss_before)) * 1024 / kSilent;
  const double partial_bytes = static_cast<double>(rss_all - std::min(rss_all, rss_silent)) * 1024 / kPartial;

  // A normal client meanwhile: GET /v2/ and a 4 MiB blob pull, each on a new connection.
  const double get_ms = expect_served_promptly(500ms, "with 6000 idle connections open");
  HttpClient puller(registry().url());
  puller.set_basic_auth("admin", kAdminPassword);
  const auto pull_started = Clock::now();
  const Response pulled = puller.get(blob_path(repo, blob.digest));
  const double pull_seconds = seconds_between(pull_started, Clock::now());
  EXPECT_EQ(pulled.status, 200);
  EXPECT_TRUE(pulled.body == blob.data);
  EXPECT_LT(pull_seconds, 2.0) << "a 4 MiB pull took " << pull_seconds << " s among idle connections";

  std::cout << kSilent << " silent + " << kPartial << " partial-head connections opened in "
            << seconds_between(opened, all_open) << " s; server RSS " << rss_before / 1024.0 << " MiB -> "
            << rss_silent / 1024.0 << " MiB -> " << rss_all / 1024.0 << " MiB: about " << silent_bytes
            << " B per silent connection and " << partial_bytes
            << " B per partial head; meanwhile GET /v2/ in " << get_ms << " ms, 4 MiB pull in "
            << pull_seconds * 1000 << " ms\n";
#if !defined(__SANITIZE_ADDRESS__)
  // A connection that sent nothing holds no buffer; a partial head holds what it sent (in a
  // buffer that starts at 8 KiB), never more than limits.max_header_bytes.
  EXPECT_LT(silent_bytes, 7 * 1024.0);
  EXPECT_LT(partial_bytes, 16 * 1024.0);
#endif

  // Each is closed by the server at its bound: silent ones at the idle timeout, partial
  // heads with a 408 at the header timeout (both 8 s here).
  const auto deadline = all_open + 14s;
  std::size_t closed = 0;
  while (closed < connections.size() && Clock::now() < deadline) {
    std::vector<pollfd> waiting;
    for (auto& connection : connections)
      if (!connection.closed()) waiting.push_back(pollfd{connection.fd(), POLLIN, 0});
    ::poll(waiting.data(), waiting.size(), 200);
    closed = 0;
    for (auto& connection : connections) closed += connection.poll_now() ? 1 : 0;
  }
  EXPECT_EQ(closed, connections.size()) << "connections still open 14 s after they were opened";
  Clock::time_point first_close = Clock::time_point::max();
  std::size_t answered_408 = 0;
  for (std::size_t i = 0; i < connections.size(); ++i) {
    if (!connections[i].closed()) continue;
    first_close = std::min(first_close, *connections[i].closed_at());
    if (i >= kSilent && connections[i].received().starts_with("HTTP/1.1 408 ")) ++answered_408;
  }
  EXPECT_GE(seconds_between(opened, first_close), 7.0) << "connections were closed before their timeout";
  EXPECT_EQ(answered_408, kPartial);
}

TEST_F(SlowClientsTest, ConnectionsOverTheLimitAreClosedAtOnce) {
  start({{"BERTH_LIMITS_MAX_CONNECTIONS", "40"}, {"BERTH_LIMITS_IDLE_TIMEOUT", "30s"}});
  const int pid = registry().pid();
  std::vector<RawConnection> held;
  for (int i = 0; i < 40; ++i) held.emplace_back(registry().port());
  const auto deadline = Clock::now() + 5s;
  while (open_descriptors(pid) < 40 && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(200ms);

  std::vector<RawConnection> extra;
  for (int i = 0; i < 20; ++i) extra.emplace_back(registry().port());
  const auto opened = Clock::now();
  for (auto& connection : extra) {
    EXPECT_TRUE(connection.read_until_closed(1s)) << "a connection over the limit was kept";
    EXPECT_EQ(connection.received(), "");
  }
  EXPECT_LT(seconds_between(opened, Clock::now()), 1.0);
  for (auto& connection : held) EXPECT_FALSE(connection.poll_now()) << "a held connection was closed";

  // Room again once some close: a normal client is served.
  while (held.size() > 30) held.pop_back();
  std::this_thread::sleep_for(200ms);
  expect_served_promptly(1s, "after connections under the limit closed");
}

// ---- the process ----

TEST_F(SlowClientsTest, OpenFileLimitIsRaisedToTheHardLimit) {
  rlimit original{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
  if (original.rlim_max <= 512) GTEST_SKIP() << "the hard limit is too low to tell";
  rlimit lowered = original;
  lowered.rlim_cur = 256;  // what berth inherits, as from a service manager's default
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  start({});
  setrlimit(RLIMIT_NOFILE, &original);
  ASSERT_FALSE(HasFatalFailure());

  std::ifstream limits("/proc/" + std::to_string(registry().pid()) + "/limits");
  std::string line;
  std::string soft;
  std::string hard;
  while (std::getline(limits, line)) {
    if (!line.starts_with("Max open files")) continue;
    std::istringstream fields(line.substr(std::string_view("Max open files").size()));
    fields >> soft >> hard;
  }
  ASSERT_FALSE(soft.empty());
  EXPECT_EQ(soft, hard) << "berth kept the soft limit it was started with";
  EXPECT_NE(soft, "256");
}

}  // namespace
}  // namespace berth::integration
