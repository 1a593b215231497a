// kill -9 under load: several pushers push images at once (monolithic, one-request and
// chunked uploads, cross-repository mounts, shared layers, manifests by tag and by digest)
// while the test kills Berth with SIGKILL at a random moment, restarts it, and does it
// again, round after round. After every restart each acknowledged blob and manifest must
// be there byte for byte, each tag must name a manifest that was pushed under it and not
// overwritten since by an acknowledged push, and `berth fsck` must find nothing wrong.
// Pushes cut off by the kill may be lost; nothing acknowledged may be.
//
// BERTH_CRASH_SEED=<n> replays a run's schedule (content, choices, kill delays); the seed
// is in every failure message. The threads' interleaving still differs from run to run.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "registry_fixture.h"

namespace berth::integration {
namespace {
using namespace std::chrono_literals;

constexpr int kPushers = 8;
constexpr int kRounds = 5;
constexpr int kRepositories = 4;
constexpr int kTagsPerRepository = 6;  // few, so that pushers move each other's tags
constexpr int kSharedLayers = 8;       // pushed again and again, to every repository
// The kill comes a random 0..kMaxKillDelayMs after the round's first kWarmUpManifests
// acknowledged manifests, so that it finds the pushers busy however slow the build (ASan).
constexpr int kWarmUpManifests = 4;
constexpr int kMaxKillDelayMs = 1200;
constexpr auto kWarmUpTimeout = 30s;
constexpr std::size_t kMaxReportedProblems = 20;

std::uint64_t crash_seed() {
  if (const char* text = std::getenv("BERTH_CRASH_SEED"); text != nullptr && *text != '\0')
    return std::strtoull(text, nullptr, 10);
  return std::random_device{}() * 0x100000001ull + std::random_device{}();
}

// A blob that was answered 201 in a repository.
struct StoredBlob {
  std::string repository;
  std::string digest;
  std::uint64_t size = 0;
  int round = 0;
};

// A manifest PUT, answered 201 (acknowledged) or cut off by the kill (in flight).
// `started` and `finished` are ticks of the ledger's clock: before the request went out,
// and after its answer (or its transport error) came back.
struct ManifestPush {
  std::string repository;
  std::string tag;  // empty when pushed by digest
  std::string digest;
  std::string body;
  std::vector<std::string> blobs;  // what it references
  std::uint64_t started = 0;
  std::uint64_t finished = 0;
  bool acknowledged = false;
  int round = 0;
};

// What the pushers did, shared by them and read by the checks between rounds.
class Ledger {
 public:
  // A logical clock: every tick is later, in real time, than the ticks before it.
  std::uint64_t tick() { return ++clock_; }

  void add_blob(StoredBlob blob) {
    std::lock_guard lock(mutex_);
    blobs_.push_back(std::move(blob));
  }
  void add_manifest(ManifestPush push) {
    std::lock_guard lock(mutex_);
    if (push.acknowledged) ++acknowledged_manifests_;
    manifests_.push_back(std::move(push));
  }
  void fail(std::string problem) {
    std::lock_guard lock(mutex_);
    failures_.push_back(std::move(problem));
  }
  // An acknowledged blob of a repository other than `repository`, to mount from there.
  std::optional<StoredBlob> blob_outside(const std::string& repository, std::mt19937_64& rng) {
    std::lock_guard lock(mutex_);
    if (blobs_.empty()) return std::nullopt;
    for (int attempt = 0; attempt < 8; ++attempt) {
      const StoredBlob& blob = blobs_[std::uniform_int_distribution<std::size_t>(0, blobs_.size() - 1)(rng)];
      if (blob.repository != repository) return blob;
    }
    return std::nullopt;
  }

  std::size_t acknowledged_manifests() const { return acknowledged_manifests_.load(); }

  // Only while no pusher runs.
  const std::vector<StoredBlob>& blobs() const { return blobs_; }
  const std::vector<ManifestPush>& manifests() const { return manifests_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::atomic<std::uint64_t> clock_{0};
  std::atomic<std::size_t> acknowledged_manifests_{0};
  std::mutex mutex_;
  std::vector<StoredBlob> blobs_;
  std::vector<ManifestPush> manifests_;
  std::vector<std::string> failures_;
};

// What every pusher of a run shares.
struct Scenario {
  std::string url;
  std::vector<std::string> repositories;
  std::vector<Blob> shared_layers;
};

// One pushing thread of one round: pushes images until the server goes away.
class Pusher {
 public:
  Pusher(const Scenario& scenario, Ledger& ledger, const std::atomic<bool>& killing, int round,
         std::uint64_t seed)
      : scenario_(scenario),
        ledger_(ledger),
        killing_(killing),
        round_(round),
        rng_(seed),
        client_(scenario.url) {
    client_.set_basic_auth("admin", kAdminPassword);
    client_.set_timeout(15s);
  }

  void run() {
    reseed_random(rng_());
    while (push_image()) {
    }
  }

 private:
  enum class Step { acknowledged, server_gone, failed };

  int pick(int below) { return std::uniform_int_distribution<int>(0, below - 1)(rng_); }

  // 201 expected; status 0 is the kill once it has begun, anything else a failure.
  Step judge(const Response& r, std::string_view what) {
    if (r.status == 201) return Step::acknowledged;
    if (r.status == 0 && killing_.load()) return Step::server_gone;
    std::ostringstream problem;
    problem << "round " << round_ << ": " << what << " answered " << describe(r)
            << (r.status == 0 ? " before the kill" : "");
    ledger_.fail(problem.str());
    return Step::failed;
  }

  Blob fresh_blob() {
    const int kind = pick(10);
    const std::size_t size = kind < 5   ? 256 + pick(8 * 1024)
                             : kind < 9 ? 8 * 1024 + pick(120 * 1024)
                                        : 128 * 1024 + pick(900 * 1024);
    return random_blob(size);
  }

  // Uploads `blob` to `repo` one of three ways.
  Step upload(const std::string& repo, const Blob& blob) {
    const int way = pick(10);
    Response r;
    std::string what;
    if (way < 4) {
      r = push_blob(client_, repo, blob);
      what = "POST+PUT of ";
    } else if (way < 6) {
      r = post_blob(client_, repo, blob);
      what = "one-request POST of ";
    } else {
      const std::size_t chunk = std::max<std::size_t>(1024, blob.data.size() / (2 + pick(4)));
      r = push_blob_chunked(client_, repo, blob, chunk);
      what = "chunked upload of ";
    }
    Step step = judge(r, what + blob.digest + " to " + repo);
    if (step == Step::acknowledged) ledger_.add_blob({repo, blob.digest, blob.data.size(), round_});
    return step;
  }

  // Adds a layer to the manifest: a fresh blob, a shared one, or one mounted from another
  // repository where it was acknowledged (so the mount must succeed).
  Step add_layer(const std::string& repo, ManifestSpec& spec, std::vector<std::string>& blobs) {
    const int source = pick(10);
    if (source < 2) {
      if (auto from = ledger_.blob_outside(repo, rng_)) {
        Step step = judge(mount_blob(client_, repo, from->digest, from->repository),
                          "mount of " + from->digest + " from " + from->repository + " into " + repo);
        if (step != Step::acknowledged) return step;
        ledger_.add_blob({repo, from->digest, from->size, round_});
        Descriptor layer;
        layer.media_type = kOciLayer;
        layer.digest = from->digest;
        layer.size = from->size;
        spec.layers.push_back(std::move(layer));
        blobs.push_back(from->digest);
        return step;
      }
    }
    const Blob blob = source < 5 ? scenario_.shared_layers[pick(kSharedLayers)] : fresh_blob();
    Step step = upload(repo, blob);
    if (step != Step::acknowledged) return step;
    spec.layers.push_back(describe(blob, kOciLayer));
    blobs.push_back(blob.digest);
    return step;
  }

  // Pushes one image; false when the pusher is done (the server is gone, or it failed).
  bool push_image() {
    const std::string& repo = scenario_.repositories[pick(kRepositories)];
    ManifestPush push;
    push.repository = repo;
    push.round = round_;
    const Blob config = random_config();
    if (upload(repo, config) != Step::acknowledged) return false;
    ManifestSpec spec;
    spec.config = describe(config, kOciConfig);
    push.blobs.push_back(config.digest);
    for (int layers = 1 + pick(3); layers > 0; --layers)
      if (add_layer(repo, spec, push.blobs) != Step::acknowledged) return false;
    push.body = render(spec);
    push.digest = sha256_digest(push.body);
    if (pick(10) < 6) push.tag = "v" + std::to_string(pick(kTagsPerRepository));

    const std::string reference = push.tag.empty() ? push.digest : push.tag;
    push.started = ledger_.tick();
    Response r = push_manifest(client_, repo, reference, push.body, kOciManifest);
    push.finished = ledger_.tick();
    Step step = judge(r, "manifest PUT of " + repo + ":" + reference);
    if (step == Step::acknowledged && r.header("Docker-Content-Digest") != push.digest) {
      ledger_.fail("round " + std::to_string(round_) + ": manifest PUT of " + repo + ":" + reference +
                   " answered Docker-Content-Digest " + r.header("Docker-Content-Digest") + ", not " +
                   push.digest);
      return false;
    }
    push.acknowledged = step == Step::acknowledged;
    if (step != Step::failed) ledger_.add_manifest(std::move(push));
    return step == Step::acknowledged;
  }

  const Scenario& scenario_;
  Ledger& ledger_;
  const std::atomic<bool>& killing_;
  const int round_;
  std::mt19937_64 rng_;
  HttpClient client_;
};

// The checks made after a restart: every one is a request and its expected answer.
class Audit {
 public:
  explicit Audit(const Ledger& ledger) : ledger_(ledger) {}

  // Runs every check on `threads` connections; returns what was wrong.
  std::vector<std::string> run(const std::string& url, int threads) {
    plan();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&] {
        HttpClient client(url);
        client.set_basic_auth("admin", kAdminPassword);
        client.set_timeout(15s);
        for (std::size_t i = next_++; i < checks_.size(); i = next_++) checks_[i](client);
      });
    for (auto& worker : workers) worker.join();
    return problems_;
  }

 private:
  using Check = std::function<void(HttpClient&)>;

  void problem(std::string text) {
    std::lock_guard lock(mutex_);
    problems_.push_back(std::move(text));
  }

  void plan() {
    std::set<std::pair<std::string, std::string>> seen;  // a blob pushed again is checked once
    for (const StoredBlob& blob : ledger_.blobs())
      if (seen.insert({blob.repository, blob.digest}).second)
        checks_.push_back([this, &blob](HttpClient& c) { check_blob(c, blob); });
    std::map<std::pair<std::string, std::string>, std::vector<const ManifestPush*>> by_tag;
    for (const ManifestPush& push : ledger_.manifests()) {
      if (push.acknowledged) checks_.push_back([this, &push](HttpClient& c) { check_manifest(c, push); });
      if (!push.tag.empty()) by_tag[{push.repository, push.tag}].push_back(&push);
    }
    for (auto& [key, pushes] : by_tag)
      checks_.push_back([this, key, pushes](HttpClient& c) { check_tag(c, key.first, key.second, pushes); });
  }

  void check_blob(HttpClient& client, const StoredBlob& blob) {
    const std::string where =
        blob.repository + "@" + blob.digest + " (acknowledged in round " + std::to_string(blob.round) + ")";
    Response r = client.get(blob_path(blob.repository, blob.digest));
    if (r.status != 200) return problem("blob " + where + ": GET answered " + describe(r));
    if (r.body.size() != blob.size)
      return problem("blob " + where + ": " + std::to_string(r.body.size()) + " bytes, pushed " +
                     std::to_string(blob.size));
    if (sha256_digest(r.body) != blob.digest)
      problem("blob " + where + ": its bytes hash to " + sha256_digest(r.body));
  }

  void check_manifest(HttpClient& client, const ManifestPush& push) {
    const std::string where =
        push.repository + "@" + push.digest + " (acknowledged in round " + std::to_string(push.round) + ")";
    Response r = client.get(manifest_path(push.repository, push.digest), {{"Accept", kAcceptAnyManifest}});
    if (r.status != 200) return problem("manifest " + where + ": GET answered " + describe(r));
    if (r.body != push.body) problem("manifest " + where + ": the bytes changed: " + r.body);
    if (r.header("Docker-Content-Digest") != push.digest)
      problem("manifest " + where + ": Docker-Content-Digest " + r.header("Docker-Content-Digest"));
    if (r.header("Content-Type") != kOciManifest)
      problem("manifest " + where + ": Content-Type " + r.header("Content-Type"));
  }

  // The tag must name a push made under it that no acknowledged push under it followed
  // (one that started after it had finished), and that manifest's blobs must be there.
  void check_tag(HttpClient& client, const std::string& repo, const std::string& tag,
                 const std::vector<const ManifestPush*>& pushes) {
    const ManifestPush* latest = nullptr;  // the acknowledged push that started last
    for (const ManifestPush* push : pushes)
      if (push->acknowledged && (latest == nullptr || push->started > latest->started)) latest = push;
    const std::string where = repo + ":" + tag;
    Response r = client.get(manifest_path(repo, tag), {{"Accept", kAcceptAnyManifest}});
    if (r.status == 404 && latest == nullptr) return;  // only pushes cut off by a kill
    if (r.status != 200) return problem("tag " + where + ": GET answered " + describe(r));
    const ManifestPush* found = nullptr;
    for (const ManifestPush* push : pushes)
      if (push->body == r.body) found = push;
    if (found == nullptr)
      return problem("tag " + where + " names a manifest never pushed under it: " + r.body);
    if (latest != nullptr && latest->started > found->finished)
      return problem("tag " + where + " went back to " + found->digest + " (round " +
                     std::to_string(found->round) + ") though " + latest->digest +
                     " was pushed under it later (round " + std::to_string(latest->round) +
                     ", acknowledged)");
    for (const std::string& digest : found->blobs) {
      Response head = client.head(blob_path(repo, digest));
      if (head.status != 200)
        problem("tag " + where + ": its manifest's blob " + digest + " answered HEAD " + describe(head));
    }
  }

  const Ledger& ledger_;
  std::vector<Check> checks_;
  std::atomic<std::size_t> next_{0};
  std::mutex mutex_;
  std::vector<std::string> problems_;
};

// Adds a test failure per problem (the first few) and says how many there were.
void report(const std::vector<std::string>& problems, std::string_view when) {
  for (std::size_t i = 0; i < problems.size() && i < kMaxReportedProblems; ++i)
    ADD_FAILURE() << when << ": " << problems[i];
  if (problems.size() > kMaxReportedProblems)
    ADD_FAILURE() << when << ": " << problems.size() - kMaxReportedProblems << " more problems";
}

class CrashTest : public DedicatedBerthTest {};

TEST_F(CrashTest, KillNineDuringConcurrentPushesLosesNothingAcknowledged) {
  const std::uint64_t seed = crash_seed();
  SCOPED_TRACE("BERTH_CRASH_SEED=" + std::to_string(seed));
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 schedule(seed);
  reseed_random(schedule());

  Scenario scenario;
  scenario.url = registry().url();
  for (int i = 0; i < kRepositories; ++i)
    scenario.repositories.push_back(unique_repo("r" + std::to_string(i)));
  for (int i = 0; i < kSharedLayers; ++i) scenario.shared_layers.push_back(random_blob(1024 + 4096 * i));

  Ledger ledger;
  const auto test_started = std::chrono::steady_clock::now();
  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::size_t blobs_before = ledger.blobs().size();
    const std::size_t manifests_before = ledger.manifests().size();
    const auto kill_delay =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, kMaxKillDelayMs)(schedule));
    std::vector<std::uint64_t> pusher_seeds;
    for (int i = 0; i < kPushers; ++i) pusher_seeds.push_back(schedule());

    std::atomic<bool> killing{false};
    std::vector<std::thread> pushers;
    for (std::uint64_t pusher_seed : pusher_seeds)
      pushers.emplace_back([&, pusher_seed] { Pusher(scenario, ledger, killing, round, pusher_seed).run(); });
    const auto started = std::chrono::steady_clock::now();
    const std::size_t warm = ledger.acknowledged_manifests() + kWarmUpManifests;
    while (ledger.acknowledged_manifests() < warm &&
           std::chrono::steady_clock::now() - started < kWarmUpTimeout)
      std::this_thread::sleep_for(2ms);
    const bool warmed_up = ledger.acknowledged_manifests() >= warm;
    if (warmed_up) std::this_thread::sleep_for(kill_delay);
    const auto ran =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    killing = true;
    registry().kill9();
    for (auto& pusher : pushers) pusher.join();
    report(ledger.failures(), "while pushing");
    ASSERT_TRUE(ledger.failures().empty()) << registry().log_tail();

    std::size_t acknowledged = 0;
    for (std::size_t i = manifests_before; i < ledger.manifests().size(); ++i)
      acknowledged += ledger.manifests()[i].acknowledged ? 1 : 0;
    const std::size_t new_blobs = ledger.blobs().size() - blobs_before;
    const std::size_t cut_off = ledger.manifests().size() - manifests_before - acknowledged;
    std::cout << "round " << round << ": killed after " << ran.count() << " ms; acknowledged " << new_blobs
              << " blobs and " << acknowledged << " manifests; " << cut_off << " manifest PUTs cut off\n";
    EXPECT_TRUE(warmed_up) << "fewer than " << kWarmUpManifests << " images were pushed in "
                           << std::chrono::duration_cast<std::chrono::seconds>(kWarmUpTimeout).count()
                           << " s";

    // In odd rounds fsck first checks the crashed directory (running its own recovery);
    // in every round the restarted server recovers, is checked, stops, and fsck follows.
    if (round % 2 == 1) {
      EXPECT_TRUE(fsck_clean(registry().data_dir())) << "right after the kill";
    }
    ASSERT_TRUE(registry().start());
    report(Audit(ledger).run(registry().url(), kPushers), "after restart " + std::to_string(round));
    ASSERT_FALSE(HasFailure()) << "stopping after the checks of round " << round;
    EXPECT_EQ(registry().stop(), 0) << registry().log_tail();
    EXPECT_TRUE(fsck_clean(registry().data_dir())) << "after a graceful stop";
    if (round < kRounds) {
      ASSERT_TRUE(registry().start());
    }
  }
  std::size_t acknowledged = 0;
  for (const ManifestPush& push : ledger.manifests()) acknowledged += push.acknowledged ? 1 : 0;
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - test_started).count();
  std::cout << "crash test: seed " << seed << ", " << kRounds << " kills, " << ledger.blobs().size()
            << " blobs and " << acknowledged << " manifests acknowledged and checked after each restart, "
            << seconds << " s\n";
  RecordProperty("acknowledged_blobs", static_cast<int>(ledger.blobs().size()));
  RecordProperty("acknowledged_manifests", static_cast<int>(acknowledged));
}

}  // namespace
}  // namespace berth::integration
