// The configuration of `berth`: defaults, then a YAML file, then BERTH_* variables.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "app/config.h"

namespace berth::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Environment = std::map<std::string, std::string>;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "berth-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes `yaml` to a file in the test's directory and returns its path.
  std::string write(const std::string& yaml, const std::string& name = "berth.yaml") {
    fs::path path = dir_ / name;
    std::ofstream(path) << yaml;
    return path.string();
  }

  // load_config of `yaml` (no environment) that must fail; returns the error.
  base::Error load_error(const std::string& yaml, const Environment& environment = {}) {
    auto loaded = load_config(write(yaml), environment);
    EXPECT_FALSE(loaded.ok()) << "accepted:\n" << yaml;
    return loaded.ok() ? base::Error{} : loaded.error();
  }

  fs::path dir_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(ConfigTest, DefaultsWithoutFileOrEnvironment) {
  auto loaded = load_config(std::nullopt, {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config& config = *loaded;
  EXPECT_EQ(config.listen, "127.0.0.1:5000");
  EXPECT_EQ(config.data_dir, "./berth-data");
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.tls_certificate, "");
  EXPECT_EQ(config.tls_private_key, "");
  EXPECT_EQ(config.max_connections, 4096u);
  EXPECT_EQ(config.max_header_bytes, 16u * 1024);
  EXPECT_EQ(config.max_body_bytes, 0u);
  EXPECT_EQ(config.io_threads, 0u);
  EXPECT_EQ(config.blocking_threads, 8u);
  EXPECT_EQ(config.upload_max_age, 24h);
  EXPECT_EQ(config.upload_purge_interval, 1h);
  EXPECT_EQ(config.manifest_cache_mb, 64u);
  EXPECT_EQ(config.shutdown_grace, 30s);
}

TEST_F(ConfigTest, EmptyFileKeepsDefaults) {
  auto loaded = load_config(write(""), {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->listen, "127.0.0.1:5000");
  EXPECT_EQ(loaded->max_connections, 4096u);
}

TEST_F(ConfigTest, FileSetsEveryKindOfKey) {
  const std::string path = write(
      "listen: 0.0.0.0:8443\n"
      "data_dir: /srv/berth\n"
      "log_level: debug\n"
      "tls:\n"
      "  certificate: /etc/berth/cert.pem\n"
      "  private_key: /etc/berth/key.pem\n"
      "limits:\n"
      "  max_connections: 100\n"
      "  max_header_bytes: 8192\n"
      "  max_body_bytes: 1073741824\n"
      "  io_threads: 3\n"
      "  blocking_threads: 5\n"
      "  shutdown_grace: 90s\n"
      "uploads:\n"
      "  max_age: 7d\n"
      "  purge_interval: 15m\n"
      "cache:\n"
      "  manifest_mb: 256\n");
  auto loaded = load_config(path, {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const Config& config = *loaded;
  EXPECT_EQ(config.listen, "0.0.0.0:8443");
  EXPECT_EQ(config.data_dir, "/srv/berth");
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.tls_certificate, "/etc/berth/cert.pem");
  EXPECT_EQ(config.tls_private_key, "/etc/berth/key.pem");
  EXPECT_EQ(config.max_connections, 100u);
  EXPECT_EQ(config.max_header_bytes, 8192u);
  EXPECT_EQ(config.max_body_bytes, 1073741824u);
  EXPECT_EQ(config.io_threads, 3u);
  EXPECT_EQ(config.blocking_threads, 5u);
  EXPECT_EQ(config.shutdown_grace, 90s);
  EXPECT_EQ(config.upload_max_age, 7 * 24h);
  EXPECT_EQ(config.upload_purge_interval, 15min);
  EXPECT_EQ(config.manifest_cache_mb, 256u);
}

TEST_F(ConfigTest, DottedKeysInTheFileWorkLikeNestedOnes) {
  auto loaded = load_config(write("tls.certificate: /c.pem\nlimits.max_connections: 7\n"), {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->tls_certificate, "/c.pem");
  EXPECT_EQ(loaded->max_connections, 7u);
}

TEST_F(ConfigTest, DurationUnits) {
  struct Case {
    std::string text;
    std::chrono::seconds expected;
  };
  for (const Case& c : {Case{"90", 90s}, Case{"90s", 90s}, Case{"15m", 15min}, Case{"24h", 24h},
                        Case{"7d", 7 * 24h}, Case{"0s", 0s}}) {
    Config config;
    auto set = set_config_value(config, "uploads.max_age", c.text);
    ASSERT_TRUE(set.ok()) << c.text << ": " << set.error().message;
    EXPECT_EQ(config.upload_max_age, c.expected) << c.text;
  }
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  const std::string path = write("listen: 10.0.0.1:5000\ndata_dir: /from/file\nuploads:\n  max_age: 1h\n");
  auto loaded = load_config(path, {{"BERTH_LISTEN", "127.0.0.1:6000"},
                                   {"BERTH_UPLOADS_MAX_AGE", "2h"},
                                   {"BERTH_CACHE_MANIFEST_MB", "12"},
                                   {"BERTH_TLS_CERTIFICATE", "/env/cert.pem"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->listen, "127.0.0.1:6000");
  EXPECT_EQ(loaded->data_dir, "/from/file");  // not overridden
  EXPECT_EQ(loaded->upload_max_age, 2h);
  EXPECT_EQ(loaded->manifest_cache_mb, 12u);
  EXPECT_EQ(loaded->tls_certificate, "/env/cert.pem");
}

TEST_F(ConfigTest, EnvironmentAloneOverridesDefaults) {
  auto loaded = load_config(std::nullopt, {{"BERTH_LIMITS_MAX_CONNECTIONS", "9"}, {"BERTH_DATA_DIR", "/d"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->max_connections, 9u);
  EXPECT_EQ(loaded->data_dir, "/d");
}

TEST_F(ConfigTest, OtherEnvironmentVariablesAreIgnored) {
  auto loaded = load_config(std::nullopt, {{"BERTH_BINARY", "/usr/bin/berth"}, {"HOME", "/root"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->listen, "127.0.0.1:5000");
}

TEST_F(ConfigTest, BadEnvironmentValueIsAnErrorNamingKeyAndValue) {
  auto loaded = load_config(std::nullopt, {{"BERTH_LIMITS_IO_THREADS", "many"}});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, base::Errc::invalid_argument);
  EXPECT_TRUE(contains(loaded.error().message, "limits.io_threads")) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, "many")) << loaded.error().message;
}

TEST_F(ConfigTest, UnknownKeyIsAnErrorNamingIt) {
  base::Error error = load_error("listen: 127.0.0.1:5000\nlimits:\n  max_conections: 10\n");
  EXPECT_EQ(error.code, base::Errc::invalid_argument);
  EXPECT_TRUE(contains(error.message, "limits.max_conections")) << error.message;

  error = load_error("colour: blue\n");
  EXPECT_TRUE(contains(error.message, "colour")) << error.message;
}

TEST_F(ConfigTest, MappingWhereAValueBelongsIsAnUnknownKey) {
  base::Error error = load_error("listen:\n  host: 127.0.0.1\n");
  EXPECT_TRUE(contains(error.message, "listen.host")) << error.message;
}

TEST_F(ConfigTest, BadNumberIsAnErrorNamingKeyAndValue) {
  for (const std::string value : {"lots", "-1", "1.5", "12abc", "99999999999999999999999"}) {
    base::Error error = load_error("limits:\n  max_connections: \"" + value + "\"\n");
    EXPECT_EQ(error.code, base::Errc::invalid_argument) << value;
    EXPECT_TRUE(contains(error.message, "limits.max_connections")) << error.message;
    EXPECT_TRUE(contains(error.message, "'" + value + "'")) << error.message;
  }
}

TEST_F(ConfigTest, BadDurationIsAnErrorNamingKeyAndValue) {
  for (const std::string value : {"soon", "15x", "m", "", "-5s", "1.5h", "h24", "99999999999999999999d"}) {
    Config config;
    auto set = set_config_value(config, "uploads.max_age", value);
    ASSERT_FALSE(set.ok()) << "accepted '" << value << "'";
    EXPECT_EQ(set.error().code, base::Errc::invalid_argument);
    EXPECT_TRUE(contains(set.error().message, "uploads.max_age")) << set.error().message;
    EXPECT_TRUE(contains(set.error().message, "'" + value + "'")) << set.error().message;
  }
  base::Error error = load_error("uploads:\n  purge_interval: fortnightly\n");
  EXPECT_TRUE(contains(error.message, "uploads.purge_interval")) << error.message;
  EXPECT_TRUE(contains(error.message, "fortnightly")) << error.message;
}

TEST_F(ConfigTest, DurationThatOverflowsIsRejected) {
  Config config;
  // Fits in 64 bits as a count of days, not as seconds.
  auto set = set_config_value(config, "limits.shutdown_grace", "9223372036854775d");
  EXPECT_FALSE(set.ok());
}

TEST_F(ConfigTest, UnknownLogLevelIsAnErrorNamingTheKey) {
  base::Error error = load_error("log_level: loud\n");
  EXPECT_TRUE(contains(error.message, "log_level")) << error.message;
  EXPECT_TRUE(contains(error.message, "loud")) << error.message;
  for (const std::string level : {"trace", "debug", "info", "warn", "error", "off"}) {
    Config config;
    EXPECT_TRUE(set_config_value(config, "log_level", level).ok()) << level;
  }
}

TEST_F(ConfigTest, SequenceValueIsAnError) {
  base::Error error = load_error("listen:\n  - 127.0.0.1:5000\n  - 127.0.0.1:5001\n");
  EXPECT_EQ(error.code, base::Errc::invalid_argument);
  EXPECT_TRUE(contains(error.message, "listen")) << error.message;

  error = load_error("limits:\n  max_connections: [1, 2]\n");
  EXPECT_TRUE(contains(error.message, "limits.max_connections")) << error.message;
}

TEST_F(ConfigTest, TopLevelThatIsNotAMappingIsAnError) {
  base::Error error = load_error("- listen\n- data_dir\n");
  EXPECT_EQ(error.code, base::Errc::invalid_argument);
}

TEST_F(ConfigTest, MalformedYamlIsAnError) {
  base::Error error = load_error("listen: [unclosed\n");
  EXPECT_EQ(error.code, base::Errc::invalid_argument);
}

TEST_F(ConfigTest, MissingFileIsAnIoError) {
  auto loaded = load_config((dir_ / "absent.yaml").string(), {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, base::Errc::io_error);
  EXPECT_TRUE(contains(loaded.error().message, "absent.yaml")) << loaded.error().message;
}

TEST_F(ConfigTest, DirectoryInsteadOfAFileIsAnIoError) {
  auto loaded = load_config(dir_.string(), {});
  ASSERT_FALSE(loaded.ok()) << "a directory was read as an empty configuration";
  EXPECT_EQ(loaded.error().code, base::Errc::io_error);
}

TEST_F(ConfigTest, SetConfigValueRejectsUnknownKey) {
  Config config;
  auto set = set_config_value(config, "listen_address", "x");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, base::Errc::invalid_argument);
  EXPECT_TRUE(contains(set.error().message, "listen_address")) << set.error().message;
}

TEST_F(ConfigTest, SplitListenAddress) {
  auto v4 = split_listen_address("127.0.0.1:5000");
  ASSERT_TRUE(v4.ok()) << v4.error().message;
  EXPECT_EQ(v4->first, "127.0.0.1");
  EXPECT_EQ(v4->second, 5000);

  auto name = split_listen_address("localhost:65535");
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(name->first, "localhost");
  EXPECT_EQ(name->second, 65535);

  auto v6 = split_listen_address("[::1]:5000");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 5000);

  auto any6 = split_listen_address("[::]:0");
  ASSERT_TRUE(any6.ok()) << any6.error().message;
  EXPECT_EQ(any6->first, "::");
  EXPECT_EQ(any6->second, 0);
}

TEST_F(ConfigTest, SplitListenAddressRejectsBadInput) {
  for (const std::string bad :
       {"", "5000", "127.0.0.1", "127.0.0.1:", ":5000", "127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:50 00", "::1", "::1:5000", "[::1]", "[::1]5000", "[::1:5000", "::1]:5000", "[]:5000"}) {
    auto split = split_listen_address(bad);
    EXPECT_FALSE(split.ok()) << "accepted '" << bad << "' as " << (split.ok() ? split->first : "") << " port "
                             << (split.ok() ? split->second : 0);
    if (!split.ok()) {
      EXPECT_EQ(split.error().code, base::Errc::invalid_argument) << bad;
    }
  }
}

TEST_F(ConfigTest, ConfigKeysNameTheirEnvironmentVariables) {
  const auto& keys = config_keys();
  ASSERT_FALSE(keys.empty());
  std::set<std::string> paths;
  for (const ConfigKey& key : keys) {
    std::string expected = "BERTH_";
    for (char c : key.path)
      expected += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(key.env, expected) << key.path;
    EXPECT_FALSE(key.help.empty()) << key.path;
    EXPECT_TRUE(paths.insert(key.path).second) << "duplicate key " << key.path;
  }
  for (const std::string path : {"listen",
                                 "data_dir",
                                 "log_level",
                                 "tls.certificate",
                                 "tls.private_key",
                                 "limits.max_connections",
                                 "limits.max_header_bytes",
                                 "limits.max_body_bytes",
                                 "limits.io_threads",
                                 "limits.blocking_threads",
                                 "limits.shutdown_grace",
                                 "uploads.max_age",
                                 "uploads.purge_interval",
                                 "cache.manifest_mb",
                                 "limits.idle_timeout",
                                 "limits.header_timeout",
                                 "limits.body_timeout",
                                 "limits.min_body_rate",
                                 "limits.send_timeout",
                                 "limits.min_send_rate",
                                 "tls.hsts_max_age"}) {
    EXPECT_TRUE(paths.contains(path)) << "missing key " << path;
  }
  auto listen = std::find_if(keys.begin(), keys.end(), [](const ConfigKey& k) { return k.path == "listen"; });
  ASSERT_NE(listen, keys.end());
  EXPECT_EQ(listen->env, "BERTH_LISTEN");
}

TEST_F(ConfigTest, SlowClientLimitsAndHstsHaveSafeDefaultsAndParse) {
  const Config defaults;
  EXPECT_EQ(defaults.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(defaults.header_timeout, std::chrono::seconds(20));
  EXPECT_EQ(defaults.body_timeout, std::chrono::seconds(60));
  EXPECT_EQ(defaults.min_body_rate, 1024u);
  EXPECT_EQ(defaults.send_timeout, std::chrono::seconds(60));
  EXPECT_EQ(defaults.min_send_rate, 1024u);
  EXPECT_EQ(defaults.hsts_max_age, std::chrono::seconds(31536000));

  auto loaded = load_config(write("limits:\n  header_timeout: 15s\n  body_timeout: 2m\n  min_body_rate: 0\n"
                                  "tls:\n  hsts_max_age: 0\n"),
                            {{"BERTH_LIMITS_MIN_SEND_RATE", "65536"}, {"BERTH_LIMITS_IDLE_TIMEOUT", "5m"}});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->header_timeout, std::chrono::seconds(15));
  EXPECT_EQ(loaded->body_timeout, std::chrono::seconds(120));
  EXPECT_EQ(loaded->min_body_rate, 0u);
  EXPECT_EQ(loaded->hsts_max_age, std::chrono::seconds(0));
  EXPECT_EQ(loaded->min_send_rate, 65536u);
  EXPECT_EQ(loaded->idle_timeout, std::chrono::seconds(300));

  // A time limit of nothing would refuse every client: refused, naming the key.
  for (const char* key :
       {"limits.idle_timeout", "limits.header_timeout", "limits.body_timeout", "limits.send_timeout"}) {
    Config config;
    auto set = set_config_value(config, key, "0");
    ASSERT_FALSE(set.ok()) << key;
    EXPECT_TRUE(contains(set.error().message, key)) << set.error().message;
  }
}

// Every key documented by config_keys() can be set through its environment variable.
TEST_F(ConfigTest, EveryKeyIsSettableThroughItsEnvironmentVariable) {
  const std::map<std::string, std::string> samples = {{"listen", "127.0.0.1:7000"},
                                                      {"data_dir", "/d"},
                                                      {"log_level", "warn"},
                                                      {"tls.certificate", "/c.pem"},
                                                      {"tls.private_key", "/k"},
                                                      {"limits.shutdown_grace", "5s"},
                                                      {"uploads.max_age", "5s"},
                                                      {"uploads.purge_interval", "5s"},
                                                      {"auth.project_creation", "adminonly"},
                                                      {"scanner.adapter.enabled", "true"},
                                                      {"plan", "M"}};
  for (const ConfigKey& key : config_keys()) {
    auto sample = samples.find(key.path);
    const std::string value = sample == samples.end() ? "7" : sample->second;  // the rest are numbers
    auto loaded = load_config(std::nullopt, {{key.env, value}});
    EXPECT_TRUE(loaded.ok()) << key.env << "=" << value << ": "
                             << (loaded.ok() ? "" : loaded.error().message);
  }
}

}  // namespace
}  // namespace berth::app
