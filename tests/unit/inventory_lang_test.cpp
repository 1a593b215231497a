// Language package parsers: npm, Python, Cargo, RubyGems, Go binaries, Java archives.
#include <archive.h>
#include <archive_entry.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// "name@version" of each package, checking they all have the expected type.
std::vector<std::string> ids(const base::Result<std::vector<Package>>& result, PackageType type) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  std::vector<std::string> out;
  if (!result.ok()) return out;
  for (const Package& package : *result) {
    EXPECT_EQ(package.type, type) << package.name;
    EXPECT_TRUE(package.path.empty());
    EXPECT_TRUE(package.purl.empty());
    out.push_back(package.name + "@" + package.version);
  }
  return out;
}

const Package* find(const std::vector<Package>& packages, std::string_view name) {
  for (const Package& package : packages) {
    if (package.name == name) return &package;
  }
  return nullptr;
}

// Content over a string, served `chunk` bytes at a time; counts what it served.
class StringContent : public image::Content {
 public:
  explicit StringContent(std::string data, std::size_t chunk = 1 << 16)
      : data_(std::move(data)), chunk_(chunk) {}
  base::Result<std::size_t> read(std::span<char> out) override {
    if (fail_after_ && served_ >= *fail_after_) return base::make_error(base::Errc::io_error, "disk on fire");
    std::size_t n = std::min({out.size(), chunk_, data_.size() - served_});
    std::copy_n(data_.data() + served_, n, out.data());
    served_ += n;
    return n;
  }
  std::size_t served() const { return served_; }
  void fail_after(std::size_t bytes) { fail_after_ = bytes; }

 private:
  std::string data_;
  std::size_t chunk_;
  std::size_t served_ = 0;
  std::optional<std::size_t> fail_after_;
};

// ------------------------------------------------------------------------------------- npm

TEST(LangNpm, LockfileV1NestedWithoutDevDependencies) {
  constexpr std::string_view kLock = R"({
  "name": "app", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
  "dependencies": {
    "accepts": {"version": "1.3.8", "resolved": "https://registry.npmjs.org/accepts/-/accepts-1.3.8.tgz",
                "integrity": "sha512-x", "requires": {"mime-types": "~2.1.34"}},
    "body-parser": {
      "version": "1.20.1", "requires": {"debug": "2.6.9"},
      "dependencies": {
        "debug": {"version": "2.6.9", "requires": {"ms": "2.0.0"},
                  "dependencies": {"ms": {"version": "2.0.0"}}}
      }
    },
    "debug": {"version": "4.3.4", "dev": true},
    "ms": {"version": "2.1.2"},
    "jest": {"version": "29.7.0", "dev": true,
             "dependencies": {"ms": {"version": "2.1.3", "dev": true}}},
    "@babel/core": {"version": "7.23.0", "dev": true},
    "left-pad": {"version": "1.3.0", "dev": true}
  }
})";
  auto result = parse_package_lock(kLock, "app/package-lock.json");
  EXPECT_THAT(ids(result, PackageType::npm), UnorderedElementsAre("accepts@1.3.8", "body-parser@1.20.1",
                                                                  "debug@2.6.9", "ms@2.0.0", "ms@2.1.2"));
}

TEST(LangNpm, LockfileV1SamePackageDevAndNotDevIsKept) {
  constexpr std::string_view kLock = R"({"lockfileVersion": 1, "dependencies": {
    "a": {"version": "1.0.0", "dependencies": {"shared": {"version": "3.0.0"}}},
    "b": {"version": "1.0.0", "dev": true, "dependencies": {"shared": {"version": "3.0.0", "dev": true}}}
  }})";
  EXPECT_THAT(ids(parse_package_lock(kLock, "package-lock.json"), PackageType::npm),
              UnorderedElementsAre("a@1.0.0", "shared@3.0.0"));
}

TEST(LangNpm, LockfileV3Packages) {
  constexpr std::string_view kLock = R"({
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0", "license": "ISC", "workspaces": ["packages/*"],
         "dependencies": {"express": "^4.18.2"}, "devDependencies": {"jest": "^29.0.0"}},
    "node_modules/express": {"version": "4.18.2", "resolved": "https://registry.npmjs.org/express/-/express-4.18.2.tgz",
                             "integrity": "sha512-x", "license": "MIT", "dependencies": {"debug": "2.6.9"}},
    "node_modules/express/node_modules/debug": {"version": "2.6.9", "license": "MIT"},
    "node_modules/debug": {"version": "4.3.4", "license": "MIT"},
    "node_modules/@types/node": {"version": "20.8.0", "license": "MIT"},
    "node_modules/express/node_modules/@scope/inner": {"version": "0.1.0", "license": {"type": "Apache-2.0"}},
    "node_modules/old": {"version": "0.0.1", "licenses": [{"type": "MIT"}, {"type": "GPL-2.0"}]},
    "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3", "license": "MIT"},
    "node_modules/jest": {"version": "29.7.0", "dev": true, "license": "MIT"},
    "node_modules/fsevents": {"version": "2.3.3", "dev": true, "optional": true},
    "node_modules/both": {"version": "1.0.0", "dev": true},
    "node_modules/x/node_modules/both": {"version": "1.0.0"},
    "node_modules/my-lib": {"resolved": "packages/my-lib", "link": true},
    "node_modules/broken": {"link": true},
    "packages/my-lib": {"name": "my-lib", "version": "0.2.0", "license": "MIT"},
    "packages/my-lib/node_modules/lodash": {"version": "4.17.21", "license": "MIT"},
    "tools/unlinked": {"version": "9.9.9"}
  }
})";
  auto result = parse_package_lock(kLock, "srv/package-lock.json");
  EXPECT_THAT(ids(result, PackageType::npm),
              UnorderedElementsAre("express@4.18.2", "debug@2.6.9", "debug@4.3.4", "@types/node@20.8.0",
                                   "@scope/inner@0.1.0", "old@0.0.1", "string-width@4.2.3", "both@1.0.0",
                                   "my-lib@0.2.0", "lodash@4.17.21"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(find(*result, "express")->licenses, "MIT");
  EXPECT_EQ(find(*result, "@scope/inner")->licenses, "Apache-2.0");
  EXPECT_EQ(find(*result, "old")->licenses, "MIT, GPL-2.0");
}

TEST(LangNpm, LockfileV2ReadsPackagesNotTheLegacyCopy) {
  constexpr std::string_view kLock = R"({"lockfileVersion": 2,
    "packages": {"": {"name": "app"}, "node_modules/ms": {"version": "2.1.3"}},
    "dependencies": {"ms": {"version": "2.1.3"}, "stale": {"version": "1.0.0"}}})";
  EXPECT_THAT(ids(parse_package_lock(kLock, "package-lock.json"), PackageType::npm), ElementsAre("ms@2.1.3"));
}

TEST(LangNpm, MalformedLockfileIsAnError) {
  constexpr std::string_view kLock = R"({"lockfileVersion": 3, "packages": {"node_modules/a": {"version": )";
  auto truncated = parse_package_lock(kLock, "app/package-lock.json");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, base::Errc::corrupt);
  EXPECT_THAT(truncated.error().message, ::testing::HasSubstr("app/package-lock.json"));
  EXPECT_FALSE(parse_package_lock("[1, 2]", "package-lock.json").ok());
  EXPECT_FALSE(parse_package_lock("", "package-lock.json").ok());
  EXPECT_FALSE(parse_package_lock(std::string("\x7f\x45LF\0\0\xff", 7), "package-lock.json").ok());
  // Well-formed but odd: no package.
  EXPECT_THAT(ids(parse_package_lock(R"({"packages": 7})", "package-lock.json"), PackageType::npm),
              IsEmpty());
}

TEST(LangNpm, DeeplyNestedLockfileV1) {
  std::string lock = R"({"lockfileVersion": 1, "dependencies": )";
  constexpr int kDepth = 100;
  for (int i = 0; i < kDepth; ++i)
    lock += R"({"p)" + std::to_string(i) + R"(": {"version": "1.0.0", "dependencies": )";
  lock += "{}";
  for (int i = 0; i < kDepth; ++i) lock += "}}";
  lock += "}";
  auto result = parse_package_lock(lock, "package-lock.json");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->size(), static_cast<std::size_t>(kDepth));
}

TEST(LangNpm, PackageJson) {
  auto plain = parse_package_json(
      R"({"name": "express", "version": "4.18.2", "license": "MIT", "dependencies": {"accepts": "~1.3.8"}})",
      "usr/lib/node_modules/express/package.json");
  EXPECT_THAT(ids(plain, PackageType::npm), ElementsAre("express@4.18.2"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)[0].licenses, "MIT");

  auto scoped = parse_package_json(R"({"name": "@babel/core", "version": "7.23.0", "license": {"type": "MIT",
      "url": "https://example.com"}})",
                                   "package.json");
  ASSERT_TRUE(scoped.ok());
  ASSERT_EQ(scoped->size(), 1u);
  EXPECT_EQ((*scoped)[0].name, "@babel/core");
  EXPECT_EQ((*scoped)[0].licenses, "MIT");

  auto legacy = parse_package_json(
      R"({"name": "old", "version": "0.1.0", "licenses": [{"type": "MIT"}, "BSD"]})", "package.json");
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ((*legacy)[0].licenses, "MIT, BSD");
}

TEST(LangNpm, PackageJsonWithoutNameOrVersionIsNoPackage) {
  EXPECT_THAT(ids(parse_package_json(R"({"name": "private-app", "private": true})", "package.json"),
                  PackageType::npm),
              IsEmpty());
  EXPECT_THAT(ids(parse_package_json(R"({"version": "1.0.0"})", "package.json"), PackageType::npm),
              IsEmpty());
  EXPECT_THAT(ids(parse_package_json(R"({"name": 5, "version": "1.0.0"})", "package.json"), PackageType::npm),
              IsEmpty());
  auto truncated = parse_package_json(R"({"name": "x", "vers)", "node_modules/x/package.json");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, base::Errc::corrupt);
}

// ---------------------------------------------------------------------------------- Python

TEST(LangPython, DistInfoMetadata) {
  constexpr std::string_view kMetadata =
      "Metadata-Version: 2.1\n"
      "Name: requests\n"
      "Version: 2.31.0\n"
      "Summary: Python HTTP for Humans.\n"
      "Home-page: https://requests.readthedocs.io\n"
      "License: Apache 2.0\n"
      "Classifier: License :: OSI Approved :: Apache Software License\n"
      "Requires-Python: >=3.7\n"
      "Requires-Dist: charset-normalizer (<4,>=2)\n"
      "\n"
      "# Requests\n"
      "Name: not-a-header\n"
      "Version: 0.0.0\n";
  auto result =
      parse_python_metadata(kMetadata, "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA");
  EXPECT_THAT(ids(result, PackageType::python), ElementsAre("requests@2.31.0"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)[0].licenses, "Apache 2.0");
}

TEST(LangPython, LicenseSources) {
  // PEP 639's License-Expression first, whatever the order.
  auto expression = parse_python_metadata(
      "Name: attrs\nLicense: MIT License text\nLicense-Expression: MIT\nVersion: 23.1.0\n", "METADATA");
  ASSERT_TRUE(expression.ok());
  ASSERT_EQ(expression->size(), 1u);
  EXPECT_EQ((*expression)[0].licenses, "MIT");
  // UNKNOWN or missing License: the first license classifier.
  auto classifier = parse_python_metadata(
      "Metadata-Version: 1.1\r\nName: six\r\nVersion: 1.16.0\r\nLicense: UNKNOWN\r\n"
      "Classifier: Programming Language :: Python\r\nClassifier: License :: OSI Approved :: MIT License\r\n"
      "Classifier: License :: Other/Proprietary License\r\n\r\nbody\r\n",
      "six-1.16.0.egg-info/PKG-INFO");
  EXPECT_THAT(ids(classifier, PackageType::python), ElementsAre("six@1.16.0"));
  ASSERT_TRUE(classifier.ok());
  EXPECT_EQ((*classifier)[0].licenses, "MIT License");
  // A folded License keeps its first line only.
  auto folded = parse_python_metadata(
      "Name: x\nVersion: 1\nLicense: BSD-3-Clause\n        Copyright (c) someone\n", "PKG-INFO");
  ASSERT_TRUE(folded.ok());
  ASSERT_EQ(folded->size(), 1u);
  EXPECT_EQ((*folded)[0].licenses, "BSD-3-Clause");
  auto none = parse_python_metadata("Name: y\nVersion: 2\n", "PKG-INFO");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)[0].licenses, "");
}

TEST(LangPython, IncompleteOrJunkIsNoPackage) {
  EXPECT_THAT(ids(parse_python_metadata("Name: x\n", "METADATA"), PackageType::python), IsEmpty());
  EXPECT_THAT(ids(parse_python_metadata("\nName: x\nVersion: 1.0\n", "METADATA"), PackageType::python),
              IsEmpty());
  EXPECT_THAT(ids(parse_python_metadata(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "METADATA"),
                  PackageType::python),
              IsEmpty());
  EXPECT_THAT(ids(parse_python_metadata("", "METADATA"), PackageType::python), IsEmpty());
}

// ----------------------------------------------------------------------------------- Cargo

TEST(LangCargo, CargoLock) {
  constexpr std::string_view kLock = R"toml(# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 3

[[package]]
name = "aho-corasick"
version = "1.1.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "b2969dcb958b36655471fc61f7e416fa76033bdd4bfed0678d8fee1e2d07a1f0"
dependencies = [
 "memchr",
]

[[package]]
name = "memchr"
version = "2.6.4"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "f665ee40bc4a3c5590afb1e9677db74a508659dfd71e126420da8274909a0167"

[[package]]
name = "myapp"
version = "0.1.0"
dependencies = [
 "aho-corasick",
 "serde 1.0.190 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = 'literal'   # a comment
version = "0.2.0-alpha.1"

[[package]]
name = "no-version"

[metadata]
"checksum memchr 2.6.4 (registry+https://github.com/rust-lang/crates.io-index)" = "f665"
name = "not-a-package"
version = "9.9.9"
)toml";
  EXPECT_THAT(ids(parse_cargo_lock(kLock, "app/Cargo.lock"), PackageType::cargo),
              ElementsAre("aho-corasick@1.1.2", "memchr@2.6.4", "myapp@0.1.0", "literal@0.2.0-alpha.1"));
}

TEST(LangCargo, Malformed) {
  auto unterminated = parse_cargo_lock("[[package]]\nname = \"serde\nversion = \"1.0\"\n", "Cargo.lock");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.error().code, base::Errc::corrupt);
  EXPECT_THAT(unterminated.error().message, ::testing::HasSubstr("Cargo.lock:2"));
  EXPECT_FALSE(parse_cargo_lock("[[package]]\nname = 42\n", "Cargo.lock").ok());
  EXPECT_THAT(ids(parse_cargo_lock("", "Cargo.lock"), PackageType::cargo), IsEmpty());
  EXPECT_THAT(ids(parse_cargo_lock(std::string("\0\1\2[[\xff\n=\n", 9), "Cargo.lock"), PackageType::cargo),
              IsEmpty());
}

// ------------------------------------------------------------------------------------ Ruby

TEST(LangRuby, GeneratedGemspec) {
  constexpr std::string_view kGemspec = R"(# -*- encoding: utf-8 -*-
# stub: rack 2.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.3"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["Leah Neukirchen".freeze]
  s.date = "2020-06-15"
  s.licenses = ["MIT".freeze]
  s.required_ruby_version = Gem::Requirement.new(">= 2.3.0".freeze)
  s.rubygems_version = "3.4.10".freeze
  s.summary = "a modular Ruby webserver interface".freeze

  s.installed_by_version = "3.4.10" if s.respond_to? :installed_by_version
  s.specification_version = 4
  s.add_development_dependency(%q<minitest>.freeze, ["~> 5.0"])
end
)";
  auto result = parse_gemspec(kGemspec, "usr/local/bundle/specifications/rack-2.2.3.gemspec");
  EXPECT_THAT(ids(result, PackageType::gem), ElementsAre("rack@2.2.3"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)[0].licenses, "MIT");
}

TEST(LangRuby, FrozenVersionSingleLicenseAndOtherReceiver) {
  auto result = parse_gemspec(
      "Gem::Specification.new do |spec|\n  spec.name = 'nokogiri'.freeze\n  spec.version = "
      "\"1.15.4\".freeze\n"
      "  spec.license = \"MIT\".freeze\nend\n",
      "specifications/nokogiri-1.15.4-x86_64-linux.gemspec");
  EXPECT_THAT(ids(result, PackageType::gem), ElementsAre("nokogiri@1.15.4"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)[0].licenses, "MIT");
  auto many = parse_gemspec(
      "s.name = \"json\".freeze\ns.version = \"2.6.3\"\n"
      "s.licenses = [\"Ruby\".freeze, \"BSD-2-Clause\".freeze]\n",
      "json-2.6.3.gemspec");
  ASSERT_TRUE(many.ok());
  ASSERT_EQ(many->size(), 1u);
  EXPECT_EQ((*many)[0].licenses, "Ruby, BSD-2-Clause");
}

TEST(LangRuby, JunkOrIncompleteIsNoPackage) {
  std::string junk(4096, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131 + 7) % 256);
  EXPECT_THAT(ids(parse_gemspec(junk, "specifications/x.gemspec"), PackageType::gem), IsEmpty());
  EXPECT_THAT(ids(parse_gemspec("s.name = \"only-name\".freeze\n", "x.gemspec"), PackageType::gem),
              IsEmpty());
  EXPECT_THAT(
      ids(parse_gemspec("s.name = \"unterminated\ns.version = \"1.0\"\n", "x.gemspec"), PackageType::gem),
      IsEmpty());
  EXPECT_THAT(ids(parse_gemspec("s.name = \"a\"\ns.version = Gem::Version.new(\"1\")\n", "x.gemspec"),
                  PackageType::gem),
              IsEmpty());
  EXPECT_THAT(ids(parse_gemspec("", "x.gemspec"), PackageType::gem), IsEmpty());
}

// -------------------------------------------------------------------------------------- Go

std::string uvarint(std::uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

constexpr std::string_view kGoMagic{"\xff Go buildinf:", 14};

// A Go >= 1.18 build info header with inline strings, framed as cmd/go frames the module info.
std::string go_buildinfo(std::string_view go_version, std::string_view modinfo) {
  static const std::string kInfoStart("0w\xaf\x0c\x92t\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6", 16);
  static const std::string kInfoEnd("\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2", 16);
  std::string header(kGoMagic);
  header += '\x08';  // pointer size
  header += '\x02';  // flags: inline strings, little endian
  header.resize(32, '\0');
  std::string framed = kInfoStart + std::string(modinfo) + kInfoEnd;
  return header + uvarint(go_version.size()) + std::string(go_version) + uvarint(framed.size()) + framed;
}

// Bytes that do not compress (xorshift), different for each seed.
std::string filler(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint32_t state = 2463534242u ^ (seed * 2654435761u);
  for (char& c : out) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    c = static_cast<char>(state >> 24);
  }
  return out;
}

constexpr std::string_view kModinfo =
    "path\tgithub.com/acme/tool/cmd/tool\n"
    "mod\tgithub.com/acme/tool\tv1.3.0\th1:abc=\n"
    "dep\tgithub.com/spf13/cobra\tv1.8.0\th1:def=\n"
    "dep\tgolang.org/x/net\tv0.17.0\n"
    "=>\tgolang.org/x/net\tv0.23.0\th1:ghi=\n"
    "\n"
    "dep\tgopkg.in/yaml.v3\tv3.0.1\th1:jkl=\n"
    "build\t-compiler=gc\n"
    "build\tCGO_ENABLED=0\n";

base::Result<std::optional<std::string>> summarize(std::string data, std::size_t chunk = 1 << 16) {
  StringContent content(std::move(data), chunk);
  return summarize_go_binary(content);
}

TEST(LangGo, RealBinaryFixture) {
  // Built with go1.19.8 by tests/data/gobinary/make-fixture.sh (see the README there).
  std::ifstream file(std::string(BERTH_TEST_DATA) + "/gobinary/hello-go1.19", std::ios::binary);
  ASSERT_TRUE(file) << "missing tests/data/gobinary/hello-go1.19";
  std::string binary((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  for (std::size_t chunk : {std::size_t{65536}, std::size_t{4093}}) {
    StringContent content(binary, chunk);
    auto summary = summarize_go_binary(content);
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    ASSERT_TRUE(summary->has_value());
    auto packages = parse_go_summary(**summary, "usr/local/bin/hello");
    EXPECT_THAT(ids(packages, PackageType::gobinary),
                UnorderedElementsAre("stdlib@1.19.8", "example.com/berth/hello@1.4.0",
                                     "example.com/greeting-fork@v1.2.4", "example.com/localdep@",
                                     "example.com/strutil@v0.3.0"));
  }
}

TEST(LangGo, SyntheticBinaryAtEveryChunking) {
  std::string binary = std::string(
                           "\x7f"
                           "ELF\x02\x01\x01",
                           7) +
                       filler(70000, 1);
  binary += std::string(kGoMagic.substr(0, 9)) + filler(100, 2);  // a partial magic first
  binary += go_buildinfo("go1.21.5", kModinfo) + filler(5000, 3);
  for (std::size_t chunk : {1, 2, 7, 13, 14, 15, 33, 4096, 65536, 1 << 20}) {
    auto summary = summarize(binary, chunk);
    ASSERT_TRUE(summary.ok());
    ASSERT_TRUE(summary->has_value()) << "chunk " << chunk;
    auto packages = parse_go_summary(**summary, "bin/tool");
    EXPECT_THAT(ids(packages, PackageType::gobinary),
                ElementsAre("stdlib@1.21.5", "github.com/acme/tool@v1.3.0", "github.com/spf13/cobra@v1.8.0",
                            "golang.org/x/net@v0.23.0", "gopkg.in/yaml.v3@v3.0.1"))
        << "chunk " << chunk;
  }
}

TEST(LangGo, SkipsStrayMagicAndFindsTheRealHeader) {
  // The magic as a string literal (as in binaries that import debug/buildinfo) precedes the header.
  std::string binary = std::string(
                           "\x7f"
                           "ELF",
                           4) +
                       filler(1000, 4);
  binary += std::string(kGoMagic) + "os/exec: no command" + filler(300, 5);
  binary += std::string(kGoMagic) + std::string("\x08\x00", 2) + filler(300, 6);  // pre-1.18 lookalike
  binary += go_buildinfo("go1.22.1 X:boringcrypto", "path\tmain\nmod\tmain\t(devel)\t\n") + filler(100, 7);
  auto summary = summarize(binary, 97);
  ASSERT_TRUE(summary.ok());
  ASSERT_TRUE(summary->has_value());
  EXPECT_THAT(ids(parse_go_summary(**summary, "bin/x"), PackageType::gobinary),
              ElementsAre("stdlib@1.22.1", "main@"));
}

TEST(LangGo, NotAGoBinary) {
  // Not an executable: rejected from the first bytes, the rest is not read.
  StringContent text("#!/bin/sh\necho hello\n" + filler(1 << 20, 8), 4096);
  auto script = summarize_go_binary(text);
  ASSERT_TRUE(script.ok());
  EXPECT_FALSE(script->has_value());
  EXPECT_LE(text.served(), 4096u);
  // An ELF file (a C program) without build info, big enough to take many reads.
  auto elf = summarize(std::string("\x7f"
                                   "ELF",
                                   4) +
                       filler(3 << 20, 9));
  ASSERT_TRUE(elf.ok());
  EXPECT_FALSE(elf->has_value());
  // Tiny or empty files.
  for (std::string tiny : {std::string(), std::string("\x7f"),
                           std::string("\x7f"
                                       "ELF",
                                       4),
                           std::string("MZ")}) {
    auto result = summarize(tiny, 1);
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(result->has_value());
  }
}

TEST(LangGo, UnsupportedOrTruncatedHeadersAreNotErrors) {
  // Go < 1.18: pointers to the strings instead of the strings (flags without 0x2).
  std::string old =
      std::string(kGoMagic) + std::string("\x08\x00", 2) + std::string(16, '\x10') + filler(64, 1);
  auto pre118 = summarize(std::string("\x7f"
                                      "ELF",
                                      4) +
                          filler(512, 2) + old + filler(512, 3));
  ASSERT_TRUE(pre118.ok());
  EXPECT_FALSE(pre118->has_value());
  // Cut off in the middle of the module info.
  std::string full = go_buildinfo("go1.21.0", kModinfo);
  auto cut = summarize(std::string("\x7f"
                                   "ELF",
                                   4) +
                           full.substr(0, full.size() - 40),
                       5);
  ASSERT_TRUE(cut.ok());
  EXPECT_FALSE(cut->has_value());
  // Absurd lengths.
  std::string huge = std::string(kGoMagic) + std::string("\x08\x02", 2) + std::string(16, '\0') + uvarint(8) +
                     "go1.21.0" + uvarint(1ull << 40) + filler(100, 4);
  auto absurd = summarize(std::string("\x7f"
                                      "ELF",
                                      4) +
                          huge);
  ASSERT_TRUE(absurd.ok());
  EXPECT_FALSE(absurd->has_value());
  // Without module info (a GOPATH build): the standard library only.
  auto bare = summarize(std::string("\x7f"
                                    "ELF",
                                    4) +
                        std::string(kGoMagic) + std::string("\x08\x02", 2) + std::string(16, '\0') +
                        uvarint(8) + "go1.20.3" + uvarint(0));
  ASSERT_TRUE(bare.ok());
  ASSERT_TRUE(bare->has_value());
  EXPECT_THAT(ids(parse_go_summary(**bare, "bin/x"), PackageType::gobinary), ElementsAre("stdlib@1.20.3"));
}

TEST(LangGo, ReadErrorsAreReported) {
  std::string binary = std::string(
                           "\x7f"
                           "ELF",
                           4) +
                       filler(200000, 1) + go_buildinfo("go1.21.5", kModinfo);
  StringContent content(binary, 4096);
  content.fail_after(100000);
  auto result = summarize_go_binary(content);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, base::Errc::io_error);
}

TEST(LangGo, SummaryParsing) {
  auto devel = parse_go_summary(
      "go\tdevel go1.23-abcdef Tue Jan 1 00:00:00 2024 +0000\n"
      "path\tgithub.com/acme/app\nmod\tgithub.com/acme/app\t(devel)\t\n"
      "dep\t\t(devel)\t\n"
      "build\t-ldflags=\"-s -w -X 'github.com/acme/app/internal/build.Version=v2.5.1' -X main.commit=abc\"\n",
      "bin/app");
  EXPECT_THAT(ids(devel, PackageType::gobinary), ElementsAre("github.com/acme/app@v2.5.1"));
  auto no_version = parse_go_summary(
      "go\tgo1.21.5\nmod\tgithub.com/acme/app\t(devel)\t\nbuild\t-ldflags=\"-X main.version=dev\"\n",
      "bin/app");
  EXPECT_THAT(ids(no_version, PackageType::gobinary), ElementsAre("stdlib@1.21.5", "github.com/acme/app@"));
  auto corrupt = parse_go_summary("pom\tx\ty\t\n", "bin/app");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().code, base::Errc::corrupt);
}

TEST(LangGo, SkopeoFromThisMachine) {
  // A Go binary from a Debian package, when installed. Debian builds Go programs in GOPATH mode
  // with vendored sources, so its build info has the Go version but no module list.
  const std::filesystem::path skopeo = "/usr/bin/skopeo";
  if (!std::filesystem::exists(skopeo)) GTEST_SKIP() << "/usr/bin/skopeo is not installed here";
  std::ifstream file(skopeo, std::ios::binary);
  std::string binary((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto summary = summarize(std::move(binary));
  ASSERT_TRUE(summary.ok());
  ASSERT_TRUE(summary->has_value()) << "skopeo is a Go binary";
  auto packages = parse_go_summary(**summary, "usr/bin/skopeo");
  ASSERT_TRUE(packages.ok());
  const Package* stdlib = find(*packages, "stdlib");
  ASSERT_NE(stdlib, nullptr);
  EXPECT_TRUE(stdlib->version.starts_with("1.")) << stdlib->version;
  if (const Package* image = find(*packages, "github.com/containers/image/v5")) {  // a module build
    EXPECT_TRUE(image->version.starts_with("v5.")) << image->version;
  }
}

// ------------------------------------------------------------------------------------ Java

struct ZipEntry {
  std::string name;
  std::string data;
};

la_ssize_t append_to_string(struct archive*, void* out, const void* buffer, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), size);
  return static_cast<la_ssize_t>(size);
}

// A zip (jar) written with libarchive: deflated (with data descriptors) or stored.
std::string make_zip(const std::vector<ZipEntry>& entries, bool store = false) {
  std::string out;
  struct archive* archive = archive_write_new();
  archive_write_set_format_zip(archive);
  if (store) archive_write_zip_set_compression_store(archive);
  archive_write_set_bytes_in_last_block(archive, 1);
  EXPECT_EQ(archive_write_open(archive, &out, nullptr, append_to_string, nullptr), ARCHIVE_OK);
  for (const ZipEntry& item : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, item.name.c_str());
    bool directory = item.name.ends_with('/');
    archive_entry_set_filetype(entry, directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry, directory ? 0755 : 0644);
    archive_entry_set_size(entry, directory ? 0 : static_cast<la_int64_t>(item.data.size()));
    EXPECT_EQ(archive_write_header(archive, entry), ARCHIVE_OK) << archive_error_string(archive);
    if (!directory && !item.data.empty()) {
      EXPECT_EQ(archive_write_data(archive, item.data.data(), item.data.size()),
                static_cast<la_ssize_t>(item.data.size()));
    }
    archive_entry_free(entry);
  }
  EXPECT_EQ(archive_write_close(archive), ARCHIVE_OK);
  archive_write_free(archive);
  return out;
}

std::string pom_properties(std::string_view group, std::string_view artifact, std::string_view version) {
  return "#Generated by Maven\n#Tue Oct 10 10:10:10 UTC 2023\nartifactId=" + std::string(artifact) +
         "\ngroupId=" + std::string(group) + "\nversion=" + std::string(version) + "\n";
}

base::Result<std::vector<Package>> java_packages(std::string jar, std::string_view path,
                                                 std::size_t chunk = 1 << 16) {
  StringContent content(std::move(jar), chunk);
  auto summary = summarize_java_archive(content, path);
  if (!summary) return std::move(summary).error();
  if (!summary->has_value()) return std::vector<Package>{};
  return parse_java_summary(**summary, path);
}

TEST(LangJava, PomProperties) {
  std::string jar = make_zip({
      {"META-INF/", ""},
      {"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: ignored\r\n\r\n"},
      {"org/apache/commons/lang3/StringUtils.class", filler(20000, 1)},
      {"META-INF/maven/org.apache.commons/commons-lang3/pom.xml", "<project/>"},
      {"META-INF/maven/org.apache.commons/commons-lang3/pom.properties",
       pom_properties("org.apache.commons", "commons-lang3", "3.12.0")},
  });
  for (std::size_t chunk : {std::size_t{5}, std::size_t{65536}}) {
    auto packages = java_packages(jar, "app/lib/whatever.jar", chunk);
    EXPECT_THAT(ids(packages, PackageType::maven), ElementsAre("org.apache.commons:commons-lang3@3.12.0"));
  }
}

TEST(LangJava, ShadedJarListsEveryPom) {
  std::string jar = make_zip({
      {"META-INF/maven/com.acme/app/pom.properties", pom_properties("com.acme", "app", "2.0.0")},
      {"META-INF/maven/com.google.guava/guava/pom.properties",
       "version = 31.1-jre\ngroupId: com.google.guava\nartifactId guava\n"},
      {"META-INF/maven/broken/broken/pom.properties", "groupId=broken\n"},
  });
  EXPECT_THAT(ids(java_packages(jar, "app.jar"), PackageType::maven),
              UnorderedElementsAre("com.acme:app@2.0.0", "com.google.guava:guava@31.1-jre"));
}

TEST(LangJava, ManifestOnly) {
  std::string jar = make_zip({
      {"META-INF/MANIFEST.MF",
       "Manifest-Version: 1.0\r\nImplementation-Title: jackson-data\r\n bind\r\nImplementation-Version: "
       "2.15.2\r\n"
       "Implementation-Vendor-Id: com.fasterxml.jackson.core\r\nBundle-License: Apache-2.0\r\n\r\n"
       "Name: com/fasterxml/\r\nImplementation-Version: 9.9.9\r\n"},
      {"com/fasterxml/jackson/databind/ObjectMapper.class", filler(3000, 2)},
  });
  auto packages = java_packages(jar, "jackson-databind-2.15.2.jar");
  EXPECT_THAT(ids(packages, PackageType::maven),
              ElementsAre("com.fasterxml.jackson.core:jackson-databind@2.15.2"));
  ASSERT_TRUE(packages.ok());
  EXPECT_EQ((*packages)[0].licenses, "Apache-2.0");

  std::string osgi =
      make_zip({{"META-INF/MANIFEST.MF",
                 "Manifest-Version: 1.0\nBundle-SymbolicName: org.eclipse.jetty.util;singleton:=true\n"
                 "Bundle-Version: 9.4.51.v20230217\n"}});
  EXPECT_THAT(ids(java_packages(osgi, "x.jar"), PackageType::maven),
              ElementsAre("org.eclipse.jetty:util@9.4.51.v20230217"));
}

TEST(LangJava, FileNameFallback) {
  std::string jar = make_zip(
      {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: hand\n"}, {"a/B.class", "cafebabe"}});
  EXPECT_THAT(ids(java_packages(jar, "opt/app/lib/log4j-1.2-api-2.17.1.jar"), PackageType::maven),
              ElementsAre("log4j-1.2-api@2.17.1"));
  EXPECT_THAT(ids(java_packages(jar, "guava-31.1-jre.jar"), PackageType::maven),
              ElementsAre("guava@31.1-jre"));
  EXPECT_THAT(ids(java_packages(jar, "opt/app/app.jar"), PackageType::maven), IsEmpty());
  EXPECT_THAT(ids(java_packages(jar, "opt/app/app-latest.jar"), PackageType::maven), IsEmpty());
}

TEST(LangJava, NestedArchives) {
  std::string lib = make_zip({
      {"META-INF/maven/org.yaml/snakeyaml/pom.properties", pom_properties("org.yaml", "snakeyaml", "1.33")},
  });
  std::string manifest_lib = make_zip({
      {"META-INF/MANIFEST.MF",
       "Implementation-Vendor-Id: org.slf4j\nImplementation-Title: slf4j-api\nImplementation-Version: "
       "2.0.9\n"},
  });
  std::string name_lib = make_zip({{"x/Y.class", filler(100, 3)}});
  // Spring Boot stores nested jars uncompressed; a war's WEB-INF/lib here is deflated.
  std::string boot = make_zip(
      {
          {"META-INF/MANIFEST.MF", "Main-Class: org.springframework.boot.loader.JarLauncher\n"},
          {"META-INF/maven/com.acme/service/pom.properties", pom_properties("com.acme", "service", "1.0.0")},
          {"BOOT-INF/classes/application.yml", "server: {}\n"},
          {"BOOT-INF/lib/snakeyaml-1.33.jar", lib},
          {"BOOT-INF/lib/slf4j-api.jar", manifest_lib},
          {"BOOT-INF/lib/hand-made-0.3.1.jar", name_lib},
          {"BOOT-INF/lib/not-a-zip-1.0.0.jar", "garbage, not a zip"},
      },
      /*store=*/true);
  std::string war = make_zip({
      {"WEB-INF/web.xml", "<web-app/>"},
      {"WEB-INF/lib/service.jar", boot},
      {"WEB-INF/lib/snakeyaml-1.33.jar", lib},
  });
  std::string ear = make_zip({{"lib/shop.war", war}, {"META-INF/application.xml", "<application/>"}}, true);
  for (std::size_t chunk : {std::size_t{7}, std::size_t{65536}}) {
    EXPECT_THAT(ids(java_packages(ear, "srv/shop-3.0.0.ear", chunk), PackageType::maven),
                UnorderedElementsAre("shop@3.0.0", "com.acme:service@1.0.0", "org.yaml:snakeyaml@1.33",
                                     "org.slf4j:slf4j-api@2.0.9", "hand-made@0.3.1"));
  }
}

TEST(LangJava, NestingDepthIsLimited) {
  // Six levels: the file and five nested archives; only four levels of nesting are read.
  std::string jar =
      make_zip({{"META-INF/maven/g/level5/pom.properties", pom_properties("g", "level5", "5")}});
  for (int level = 4; level >= 0; --level) {
    std::string name = "lib/level" + std::to_string(level + 1) + ".jar";
    jar = make_zip({{"META-INF/maven/g/level" + std::to_string(level) + "/pom.properties",
                     pom_properties("g", "level" + std::to_string(level), std::to_string(level))},
                    {name, jar}});
  }
  EXPECT_THAT(ids(java_packages(jar, "outer.jar"), PackageType::maven),
              UnorderedElementsAre("g:level0@0", "g:level1@1", "g:level2@2", "g:level3@3", "g:level4@4"));
}

TEST(LangJava, NotAZipOrTruncated) {
  EXPECT_THAT(ids(java_packages("this is not a zip file at all", "lib/x-1.0.jar"), PackageType::maven),
              IsEmpty());
  EXPECT_THAT(ids(java_packages("", "lib/x-1.0.jar"), PackageType::maven), IsEmpty());
  std::string jar = make_zip({
      {"META-INF/maven/a/b/pom.properties", pom_properties("a", "b", "1.0")},
      {"big.bin", filler(50000, 4)},
  });
  auto cut = java_packages(jar.substr(0, jar.size() / 2), "lib/cut-2.0.jar");
  EXPECT_THAT(ids(cut, PackageType::maven), ElementsAre("a:b@1.0"));
}

TEST(LangJava, ReadErrorsAreReported) {
  std::string jar = make_zip({{"big.bin", filler(300000, 5)}, {"META-INF/MANIFEST.MF", "X: y\n"}});
  StringContent content(jar, 4096);
  content.fail_after(100000);
  auto result = summarize_java_archive(content, "x.jar");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, base::Errc::io_error);
}

TEST(LangJava, SummaryParsing) {
  auto packages = parse_java_summary(
      "pom\ta:b\t1.0\t\nmanifest\tc:d\t2.0\tMIT\npom\ta:b\t1.0\t\nfile\te\t3\t\n", "x.jar");
  EXPECT_THAT(ids(packages, PackageType::maven), ElementsAre("a:b@1.0", "c:d@2.0", "e@3"));
  EXPECT_EQ(parse_java_summary("pom\ta:b\n", "x.jar").error().code, base::Errc::corrupt);
  EXPECT_FALSE(parse_java_summary("npm\ta\t1\t\n", "x.jar").ok());
  EXPECT_THAT(ids(parse_java_summary("", "x.jar"), PackageType::maven), IsEmpty());
}

// ------------------------------------------------------------------------------ Robustness

// Every prefix and many single-byte corruptions of valid inputs: any outcome but a crash (the
// sanitizer build checks memory errors too).
TEST(LangRobustness, TruncatedAndCorruptedInputs) {
  const std::string lock =
      R"({"lockfileVersion": 3, "packages": {"": {}, "node_modules/@a/b": {"version": "1.0.0", "license": "MIT"},)"
      R"( "node_modules/l": {"link": true, "resolved": "p/l"}, "p/l": {"version": "2"}}})";
  const std::string metadata = "Metadata-Version: 2.1\nName: x\nVersion: 1\nLicense: MIT\n\nbody\n";
  const std::string cargo = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"b\",\n]\n";
  const std::string gemspec =
      "s.name = \"rack\".freeze\ns.version = \"2.2.3\"\ns.licenses = [\"MIT\".freeze]\n";
  const std::string go = std::string(
                             "\x7f"
                             "ELF",
                             4) +
                         filler(300, 1) + go_buildinfo("go1.21.5", kModinfo);
  const std::string inner =
      make_zip({{"META-INF/maven/g/a/pom.properties", pom_properties("g", "a", "1")}, {"x", filler(500, 2)}});
  const std::string jar = make_zip({{"META-INF/MANIFEST.MF", "Implementation-Version: 1\n"},
                                    {"lib/inner-1.0.jar", inner},
                                    {"lib/stored-2.0.jar", make_zip({{"y", filler(300, 3)}}, true)}});
  auto run_all = [](const std::string& l, const std::string& m, const std::string& c, const std::string& g,
                    const std::string& b, const std::string& j) {
    (void)parse_package_lock(l, "package-lock.json");
    (void)parse_package_json(l, "package.json");
    (void)parse_python_metadata(m, "METADATA");
    (void)parse_cargo_lock(c, "Cargo.lock");
    (void)parse_gemspec(g, "x.gemspec");
    auto go_summary = summarize(b, 7);
    if (go_summary.ok() && go_summary->has_value()) (void)parse_go_summary(**go_summary, "bin/x");
    (void)java_packages(j, "app-1.0.jar", 11);
  };
  const std::size_t longest =
      std::max({lock.size(), metadata.size(), cargo.size(), gemspec.size(), go.size(), jar.size()});
  auto cut = [](const std::string& text, std::size_t size) {
    return text.substr(0, std::min(size, text.size()));
  };
  for (std::size_t size = 0; size <= longest; size += 3) {
    run_all(cut(lock, size), cut(metadata, size), cut(cargo, size), cut(gemspec, size), cut(go, size),
            cut(jar, size));
  }
  auto flip = [](std::string text, std::size_t at, char value) {
    if (!text.empty()) text[at % text.size()] = value;
    return text;
  };
  for (std::size_t at = 0; at < longest; at += 5) {
    for (char value : {'\0', '\xff', '"', '\n', '\x7f'}) {
      run_all(flip(lock, at, value), flip(metadata, at, value), flip(cargo, at, value),
              flip(gemspec, at, value), flip(go, at, value), flip(jar, at, value));
    }
  }
  SUCCEED();
}

}  // namespace
}  // namespace berth::inventory::detail
