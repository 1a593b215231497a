// TLS as `berth serve` offers it, checked with real handshakes: TLS 1.2 and 1.3 only,
// ECDHE with AES-GCM or ChaCha20 in the server's order, Strict-Transport-Security on every
// TLS response (never on plain HTTP), and SIGHUP loading a renewed certificate without a
// restart while established connections go on. Each test runs a Berth of its own.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "registry_fixture.h"
#include "tls_client.h"

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kHealth = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

void copy_over(const fs::path& from, const fs::path& to) {
  // As a renewal tool does: write a new file, then rename it over the old one.
  const fs::path temporary = to.string() + ".new";
  fs::copy_file(from, temporary, fs::copy_options::overwrite_existing);
  fs::rename(temporary, to);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth's own TLS; REGISTRY_URL is set";
  }

  // Starts Berth with TLS from the certificate and key of `name` ("a", "b", ...), made
  // with `key_type`, copied to the served files cert.pem and key.pem.
  void start_tls(std::string_view key_type, std::map<std::string, std::string> environment = {}) {
    std::string error;
    instance_ = RegistryInstance::prepare_berth(&error);
    ASSERT_NE(instance_, nullptr) << error;
    key_type_ = std::string(key_type);
    ASSERT_TRUE(make("a"));
    copy_over(certificate("a"), served_certificate());
    copy_over(key("a"), served_key());
    instance_->options().extra_args = {"--tls-cert", served_certificate().string(), "--tls-key",
                                       served_key().string()};
    instance_->options().ca_file = certificate("a").string();
    instance_->options().environment = std::move(environment);
    ASSERT_TRUE(instance_->start());
  }

  fs::path certificate(std::string_view name) const {
    return instance_->scratch_dir() / ("cert-" + std::string(name) + ".pem");
  }
  fs::path key(std::string_view name) const {
    return instance_->scratch_dir() / ("key-" + std::string(name) + ".pem");
  }
  fs::path served_certificate() const { return instance_->scratch_dir() / "cert.pem"; }
  fs::path served_key() const { return instance_->scratch_dir() / "key.pem"; }
  ::testing::AssertionResult make(std::string_view name) {
    if (make_certificate(certificate(name), key(name), key_type_)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "openssl could not make certificate " << name;
  }

  // A fresh handshake's certificate fingerprint.
  std::string presented() {
    TlsClient fresh(instance_->port());
    EXPECT_TRUE(fresh.ok()) << fresh.error();
    return fresh.peer_fingerprint();
  }

  // Sends SIGHUP and waits until fresh handshakes present `fingerprint` (or 5 s pass).
  bool reload_and_expect(const std::string& fingerprint) {
    kill(instance_->pid(), SIGHUP);
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      if (presented() == fingerprint) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Waits until the log holds `count` lines containing `text`.
  bool log_shows(std::string_view text, std::size_t count) {
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      const std::string log = read_file(instance_->scratch_dir() / "berth.log");
      std::size_t found = 0;
      for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++found;
      if (found >= count) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  RegistryInstance& registry() { return *instance_; }

 private:
  std::unique_ptr<RegistryInstance> instance_;
  std::string key_type_;
};

TEST_F(TlsTest, OnlyTls12AndTls13AreAccepted) {
  start_tls("ec");
  for (int old_version : {TLS1_VERSION, TLS1_1_VERSION}) {
    TlsOffer offer;
    offer.max_version = old_version;
    TlsClient client(registry().port(), offer);
    EXPECT_FALSE(client.ok()) << "a client capped at "
                              << (old_version == TLS1_VERSION ? "TLS 1.0" : "TLS 1.1") << " got "
                              << client.version() << " with " << client.cipher();
  }
  TlsOffer tls12;
  tls12.max_version = TLS1_2_VERSION;
  TlsClient client12(registry().port(), tls12);
  ASSERT_TRUE(client12.ok()) << client12.error();
  EXPECT_EQ(client12.version(), "TLSv1.2");
  EXPECT_EQ(client12.exchange(kHealth).status, 200);

  TlsOffer tls13;
  tls13.min_version = TLS1_3_VERSION;
  TlsClient client13(registry().port(), tls13);
  ASSERT_TRUE(client13.ok()) << client13.error();
  EXPECT_EQ(client13.version(), "TLSv1.3");
  EXPECT_EQ(client13.exchange(kHealth).status, 200);
}

TEST_F(TlsTest, Tls12OffersOnlyEcdheWithAeadCiphers) {
  // An RSA certificate, so that RSA key exchange would be possible if it were offered.
  start_tls("rsa");
  const auto handshake = [&](const char* cipher) {
    TlsOffer offer;
    offer.max_version = TLS1_2_VERSION;
    offer.ciphers = cipher;
    auto client = std::make_unique<TlsClient>(registry().port(), offer);
    return client;
  };
  for (const char* good :
       {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"}) {
    auto client = handshake(good);
    ASSERT_TRUE(client->ok()) << good << ": " << client->error();
    EXPECT_EQ(client->cipher(), good);
    EXPECT_EQ(client->exchange(kHealth).status, 200) << good;
  }
  for (const char* bad : {
           "ECDHE-RSA-AES128-SHA",       // CBC with a SHA-1 MAC
           "ECDHE-RSA-AES256-SHA384",    // CBC
           "AES128-GCM-SHA256",          // RSA key exchange: no forward secrecy
           "AES256-SHA",                 // RSA key exchange, CBC, SHA-1
           "DHE-RSA-AES128-GCM-SHA256",  // finite-field DHE
       }) {
    auto client = handshake(bad);
    EXPECT_FALSE(client->ok()) << bad << " was accepted";
  }
}

TEST_F(TlsTest, ServerChoosesTheCipherByItsOwnPreference) {
  start_tls("rsa");
  TlsOffer offer;
  offer.max_version = TLS1_2_VERSION;
  // The client prefers ChaCha20, then AES-256; the server's first choice is AES-128-GCM.
  offer.ciphers = "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256";
  TlsClient client(registry().port(), offer);
  ASSERT_TRUE(client.ok()) << client.error();
  EXPECT_EQ(client.cipher(), "ECDHE-RSA-AES128-GCM-SHA256");
}

TEST_F(TlsTest, EveryTlsResponseCarriesStrictTransportSecurity) {
  start_tls("ec");
  TlsClient client(registry().port());
  ASSERT_TRUE(client.ok()) << client.error();
  const std::string expected = "max-age=31536000";
  for (std::string_view target : {"/healthz", "/v2/", "/no-such-thing", "/api/v2.0/ping"}) {
    const Response r = client.exchange("GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ASSERT_NE(r.status, 0) << target << ": " << r.transport_error;
    EXPECT_EQ(r.header("Strict-Transport-Security"), expected) << target << ": " << r;
  }
  // Also on the answers the server makes without a handler (here: a head over the limit).
  TlsClient oversized(registry().port());
  ASSERT_TRUE(oversized.ok()) << oversized.error();
  const Response r = oversized.exchange(
      "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n");
  EXPECT_EQ(r.status, 431) << r;
  EXPECT_EQ(r.header("Strict-Transport-Security"), expected) << r;
}

TEST_F(TlsTest, StrictTransportSecurityFollowsItsSettingAndNeverGoesOverPlainHttp) {
  start_tls("ec", {{"BERTH_TLS_HSTS_MAX_AGE", "10m"}});
  TlsClient client(registry().port());
  ASSERT_TRUE(client.ok()) << client.error();
  EXPECT_EQ(client.exchange(kHealth).header("Strict-Transport-Security"), "max-age=600");
  registry().stop();
  registry().options().environment["BERTH_TLS_HSTS_MAX_AGE"] = "0";
  ASSERT_TRUE(registry().start());
  TlsClient off(registry().port());
  ASSERT_TRUE(off.ok()) << off.error();
  const Response r = off.exchange(kHealth);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.has_header("Strict-Transport-Security")) << r;

  BerthOptions plain_options;
  plain_options.environment["BERTH_TLS_HSTS_MAX_AGE"] = "1d";
  std::string error;
  auto plain = RegistryInstance::spawn_berth(&error, plain_options);
  ASSERT_NE(plain, nullptr) << error;
  HttpClient http(plain->url());
  for (std::string_view target : {"/healthz", "/v2/"}) {
    const Response answer = http.get(std::string(target));
    EXPECT_NE(answer.status, 0);
    EXPECT_FALSE(answer.has_header("Strict-Transport-Security")) << "plain HTTP " << target << ": " << answer;
  }
  // SIGHUP on a plain-HTTP Berth has nothing to reload, and must not stop it.
  kill(plain->pid(), SIGHUP);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(http.get("/healthz").status, 200) << plain->log_tail();
}

TEST_F(TlsTest, SighupLoadsANewCertificateAndKeepsTheOldOneWhenTheNewFilesAreBad) {
  start_tls("ec");
  const int pid = registry().pid();
  const std::string a = certificate_fingerprint(certificate("a"));
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(presented(), a);
  TlsClient established(registry().port());
  ASSERT_TRUE(established.ok()) << established.error();
  ASSERT_EQ(established.exchange(kHealth).status, 200);

  // Renewal: new key and certificate in the served files, then SIGHUP.
  ASSERT_TRUE(make("b"));
  const std::string b = certificate_fingerprint(certificate("b"));
  copy_over(certificate("b"), served_certificate());
  copy_over(key("b"), served_key());
  ASSERT_TRUE(reload_and_expect(b)) << "fresh handshakes still present the old certificate; log:\n"
                                    << registry().log_tail();
  // The connection made before the reload goes on, with the certificate it began with.
  const Response still = established.exchange(kHealth);
  EXPECT_EQ(still.status, 200) << still.transport_error;
  EXPECT_EQ(established.peer_fingerprint(), a);

  // A broken certificate file: an error in the log, and certificate b stays.
  {
    std::ofstream broken(served_certificate(), std::ios::trunc);
    broken << "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n";
  }
  kill(pid, SIGHUP);
  EXPECT_TRUE(log_shows("NOT reloaded", 1)) << registry().log_tail();
  EXPECT_EQ(presented(), b);

  // A certificate with a key that is not its own: refused too.
  ASSERT_TRUE(make("c"));
  copy_over(certificate("c"), served_certificate());  // key.pem still holds b's key
  kill(pid, SIGHUP);
  EXPECT_TRUE(log_shows("NOT reloaded", 2)) << registry().log_tail();
  EXPECT_EQ(presented(), b);

  // Same process all along, and the early connection still works.
  EXPECT_EQ(registry().pid(), pid);
  EXPECT_EQ(kill(pid, 0), 0);
  EXPECT_EQ(established.exchange(kHealth).status, 200);
}

}  // namespace
}  // namespace berth::integration
