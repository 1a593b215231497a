#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "image/archive.h"
#include "image/layers.h"

namespace berth::image {
namespace {

namespace fs = std::filesystem;
using base::Errc;

// ---- Writing test layers with libarchive ----------------------------------------------------

struct Item {
  enum Kind { file, dir, symlink, hardlink } kind = file;
  std::string path;
  std::string data;  // file content
  std::string link;  // symlink or hard link target
  unsigned mode = 0644;
};

Item F(std::string path, std::string data, unsigned mode = 0644) {
  return Item{Item::file, std::move(path), std::move(data), "", mode};
}
Item D(std::string path) {
  return Item{Item::dir, std::move(path), "", "", 0755};
}
Item S(std::string path, std::string target) {
  return Item{Item::symlink, std::move(path), "", std::move(target), 0777};
}
Item H(std::string path, std::string target) {
  return Item{Item::hardlink, std::move(path), "", std::move(target), 0644};
}

enum class Compression { none, gzip, zstd };
enum class TarFormat { pax, gnu };

la_ssize_t append_output(struct archive*, void* data, const void* buffer, size_t size) {
  static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
  return static_cast<la_ssize_t>(size);
}

// Configures `a` to write into `out` with no block padding (so outputs can be concatenated).
void open_writer(struct archive* a, std::string& out) {
  ASSERT_EQ(archive_write_set_bytes_per_block(a, 0), ARCHIVE_OK);
  ASSERT_EQ(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open(a, &out, nullptr, append_output, nullptr), ARCHIVE_OK)
      << archive_error_string(a);
}

std::string make_tar(const std::vector<Item>& items, Compression compression = Compression::none,
                     TarFormat format = TarFormat::pax) {
  std::string out;
  struct archive* a = archive_write_new();
  if (compression == Compression::gzip) {
    EXPECT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  } else if (compression == Compression::zstd) {
    EXPECT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  }
  EXPECT_EQ(format == TarFormat::pax ? archive_write_set_format_pax_restricted(a)
                                     : archive_write_set_format_gnutar(a),
            ARCHIVE_OK);
  open_writer(a, out);
  for (const Item& item : items) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, item.path.c_str());
    archive_entry_set_perm(entry, item.mode);
    archive_entry_set_mtime(entry, 1700000000, 0);
    switch (item.kind) {
      case Item::file:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(item.data.size()));
        break;
      case Item::dir:
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case Item::symlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, item.link.c_str());
        break;
      case Item::hardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, item.link.c_str());
        archive_entry_set_size(entry, 0);
        break;
    }
    EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    if (!item.data.empty()) {
      EXPECT_EQ(archive_write_data(a, item.data.data(), item.data.size()),
                static_cast<la_ssize_t>(item.data.size()));
    }
    archive_entry_free(entry);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

// One gzip member holding `data` (libarchive's raw format: no tar framing).
std::string gzip_member(const std::string& data) {
  std::string out;
  struct archive* a = archive_write_new();
  EXPECT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  EXPECT_EQ(archive_write_set_format_raw(a), ARCHIVE_OK);
  open_writer(a, out);
  struct archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "data");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
  EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
  EXPECT_EQ(archive_write_data(a, data.data(), data.size()), static_cast<la_ssize_t>(data.size()));
  archive_entry_free(entry);
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

// A ustar header block for a regular file of `size` bytes whose data the caller provides.
std::string ustar_header(const std::string& name, std::uint64_t size) {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), name.size());
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  std::memset(h.data() + 148, ' ', 8);
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return h;
}

std::string random_bytes(std::size_t n, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), md, &length, EVP_sha256(), nullptr);
  std::string out;
  char hex[3];
  for (unsigned i = 0; i < length; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "berth-image-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& data) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

// ---- Selectors and helpers ------------------------------------------------------------------

// Wants every file; keeps its bytes, except content "drop", which it forgets (nullopt).
Selector keep_all(std::uint64_t limit = 1 << 20) {
  return Selector{[](const Entry&) { return true; },
                  [limit](const Entry&, Content& content) -> base::Result<std::optional<std::string>> {
                    auto data = content.read_all(limit);
                    if (!data) return std::move(data).error();
                    if (*data == "drop") return std::optional<std::string>();
                    return std::optional<std::string>(std::move(*data));
                  }};
}

Selector keep_nothing() {
  return Selector{[](const Entry&) { return false; },
                  [](const Entry&, Content&) -> base::Result<std::optional<std::string>> {
                    ADD_FAILURE() << "keep called for an unwanted file";
                    return std::optional<std::string>();
                  }};
}

std::map<std::string, std::string> contents(const Snapshot& snapshot) {
  std::map<std::string, std::string> out;
  for (const auto& [path, kept] : snapshot) {
    EXPECT_EQ(path, kept.entry.path);
    out.emplace(path, kept.data);
  }
  return out;
}

class LayersTest : public ::testing::Test {
 protected:
  Layer layer(const std::string& bytes) {
    const fs::path file = dir_.path() / ("layer" + std::to_string(++count_));
    write_file(file, bytes);
    return Layer{file, 0, std::nullopt};
  }

  base::Result<Snapshot> read(std::vector<Layer> layers, const Selector& selector = keep_all(),
                              const Limits& limits = {}) {
    return read_layers(layers, selector, limits);
  }

  TempDir dir_;
  int count_ = 0;
};

using Contents = std::map<std::string, std::string>;

// ---- Merging ---------------------------------------------------------------------------------

TEST_F(LayersTest, LaterLayersReplaceEarlierFilesWhateverTheCompression) {
  const auto base = layer(make_tar(
      {D("etc"), F("etc/os-release", "ID=one\n"), F("etc/a", "a1"), F("usr/bin/tool", "#!/bin/sh\n", 0755)},
      Compression::gzip));
  const auto middle = layer(make_tar({F("etc/os-release", "ID=two\n"), F("etc/b", "b2")}, Compression::zstd));
  const auto top = layer(make_tar({F("etc/a", "a3")}, Compression::none));

  auto snapshot = read({base, middle, top});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot), (Contents{{"etc/a", "a3"},
                                           {"etc/b", "b2"},
                                           {"etc/os-release", "ID=two\n"},
                                           {"usr/bin/tool", "#!/bin/sh\n"}}));
  const Kept& tool = snapshot->at("usr/bin/tool");
  EXPECT_EQ(tool.entry.size, 10u);
  EXPECT_EQ(tool.entry.mode, 0755u);
}

TEST_F(LayersTest, PathsAreNormalised) {
  const auto l = layer(make_tar({D("./"), D("./etc/"), F("./etc//hostname", "h"), F("/abs/file", "x"),
                                 F("a/./b/../c", "c"), D("x/y/.."), F("x/y/../z", "z")}));
  auto snapshot = read({l});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot),
            (Contents{{"a/c", "c"}, {"abs/file", "x"}, {"etc/hostname", "h"}, {"x/z", "z"}}));
}

TEST_F(LayersTest, WhiteoutRemovesAFileOrADirectoryOfLowerLayers) {
  const auto lower =
      layer(make_tar({F("etc/a", "a"), F("etc/b", "b"), F("etc/a.d/x", "ax"), F("opt/app/bin", "1"),
                      F("opt/app/lib/l.so", "2"), F("opt/application", "3")}));
  const auto upper = layer(make_tar({F("etc/.wh.a", ""), F("opt/.wh.app", "")}, Compression::gzip));
  auto snapshot = read({lower, upper});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  // Only the named entry and what is below it go; neighbours sharing a prefix stay, and the
  // whiteout files themselves never appear.
  EXPECT_EQ(contents(*snapshot), (Contents{{"etc/a.d/x", "ax"}, {"etc/b", "b"}, {"opt/application", "3"}}));
}

TEST_F(LayersTest, OpaqueDirectoryHidesLowerContentButKeepsItsOwn) {
  const auto lower = layer(
      make_tar({F("d/old", "o"), F("d/sub/deep", "s"), F("d", "drop"), F("d2/x", "x"), F("dd/y", "y")}));
  // The marker may come before or after the layer's own entries of that directory.
  const auto upper =
      layer(make_tar({D("d"), F("d/before", "b"), F("d/.wh..wh..opq", ""), F("d/after", "a")}));
  auto snapshot = read({lower, upper});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot),
            (Contents{{"d/after", "a"}, {"d/before", "b"}, {"d2/x", "x"}, {"dd/y", "y"}}));
}

TEST_F(LayersTest, WhiteoutDoesNotAffectEntriesOfItsOwnLayer) {
  const auto lower = layer(make_tar({F("x/f", "old"), F("x/g", "g")}));
  const auto upper = layer(make_tar({F("x/f", "new"), F("x/.wh.f", ""), F("x/.wh.g", ""), F("x/g", "g2")}));
  auto snapshot = read({lower, upper});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot), (Contents{{"x/f", "new"}, {"x/g", "g2"}}));
}

TEST_F(LayersTest, FileReplacedByDirectorySymlinkOrForgottenFile) {
  const auto lower = layer(make_tar({F("a", "file a"), F("b", "file b"), F("c/d", "below c"),
                                     F("c/e", "below c"), F("e", "kept e"), F("f", "kept f")}));
  const auto upper = layer(make_tar({
      D("a"), F("a/inner", "in a"),  // a file replaced by a directory
      S("b", "/etc/passwd"),         // by a symlink (targets may point anywhere, never followed)
      S("c", "../../outside"),       // a directory replaced by a symlink: everything below goes
      F("e", "drop"),                // by a file the selector does not keep
      F("f/g", "implicit dir"),      // by a directory implied by an entry below it
  }));
  auto snapshot = read({lower, upper});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot), (Contents{{"a/inner", "in a"}, {"f/g", "implicit dir"}}));
}

TEST_F(LayersTest, SelectorDecidesWhatIsReadAndKept) {
  int keep_calls = 0;
  Selector selector{[](const Entry& e) { return e.path.starts_with("etc/"); },
                    [&](const Entry& e, Content& content) -> base::Result<std::optional<std::string>> {
                      ++keep_calls;
                      if (e.path == "etc/skip") return std::optional<std::string>();
                      // Reads only part of the file: the rest is skipped for the next entry.
                      char head[4];
                      auto n = content.read(head);
                      if (!n) return std::move(n).error();
                      return std::optional<std::string>(std::string(head, *n) + "|" + std::to_string(e.size));
                    }};
  const std::string big(300000, 'z');
  const auto l = layer(make_tar(
      {F("etc/big", big), F("etc/skip", "skipped"), F("usr/lib/x", "not wanted"), F("etc/small", "ab")},
      Compression::gzip));
  auto snapshot = read({l}, selector);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(keep_calls, 3);
  EXPECT_EQ(contents(*snapshot), (Contents{{"etc/big", "zzzz|300000"}, {"etc/small", "ab|2"}}));
}

TEST_F(LayersTest, KeepErrorEndsTheWalk) {
  Selector selector{[](const Entry&) { return true; },
                    [](const Entry& e, Content&) -> base::Result<std::optional<std::string>> {
                      return base::make_error(Errc::corrupt, "bad database " + e.path);
                    }};
  const auto l = layer(make_tar({F("var/lib/db", "x")}));
  auto snapshot = read({l}, selector);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code, Errc::corrupt);
  EXPECT_EQ(snapshot.error().message, "bad database var/lib/db");
}

TEST_F(LayersTest, HardLinksGetTheTargetsKeptData) {
  Selector selector = keep_all();
  selector.wants = [](const Entry& e) { return e.path != "bin/unwanted-link"; };
  const auto lower = layer(
      make_tar({F("bin/busybox", "BUSYBOX", 0755), H("bin/sh", "bin/busybox"),
                H("./bin/unwanted-link", "./bin/busybox"), F("etc/x", "drop"), H("etc/x-link", "etc/x")},
               Compression::gzip));
  // A hard link to a file a lower layer left.
  const auto upper = layer(make_tar({H("usr/bin/ash", "bin/busybox")}));
  auto snapshot = read({lower, upper}, selector);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot),
            (Contents{{"bin/busybox", "BUSYBOX"}, {"bin/sh", "BUSYBOX"}, {"usr/bin/ash", "BUSYBOX"}}));
  EXPECT_EQ(snapshot->at("bin/sh").entry.size, 7u);
  EXPECT_EQ(snapshot->at("bin/sh").entry.mode, 0755u);
}

TEST_F(LayersTest, PathLeavingTheRootFails) {
  for (const std::string bad : {"../etc/passwd", "a/../../etc/passwd", "/../x"}) {
    const auto l = layer(make_tar({F("ok", "1"), F(bad, "evil")}));
    auto snapshot = read({l});
    ASSERT_FALSE(snapshot) << bad;
    EXPECT_EQ(snapshot.error().code, Errc::invalid_argument);
    EXPECT_NE(snapshot.error().message.find('"' + bad + '"'), std::string::npos) << snapshot.error().message;
    EXPECT_NE(snapshot.error().message.find("leaves the root"), std::string::npos)
        << snapshot.error().message;
  }
}

TEST_F(LayersTest, HardLinkLeavingTheRootFails) {
  const auto l = layer(make_tar({F("ok", "1"), H("etc/shadow-copy", "../../etc/shadow")}, Compression::gzip));
  auto snapshot = read({l});
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code, Errc::invalid_argument);
  EXPECT_NE(snapshot.error().message.find("\"../../etc/shadow\""), std::string::npos)
      << snapshot.error().message;
}

TEST_F(LayersTest, SymlinkTargetsMayPointAnywhere) {
  const auto l = layer(make_tar({S("etc/localtime", "../../../usr/share/zoneinfo/UTC"), F("etc/x", "x")}));
  auto snapshot = read({l});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot), (Contents{{"etc/x", "x"}}));
}

// ---- Broken and hostile layers ---------------------------------------------------------------

TEST_F(LayersTest, NotATarIsCorrupt) {
  const auto good = layer(make_tar({F("a", "a")}));
  for (const std::string& bytes :
       {random_bytes(100000), gzip_member(random_bytes(100000)), std::string("hello")}) {
    auto snapshot = read({good, layer(bytes)});
    ASSERT_FALSE(snapshot);
    EXPECT_EQ(snapshot.error().code, Errc::corrupt);
    EXPECT_TRUE(snapshot.error().message.starts_with("layer 2 (")) << snapshot.error().message;
    EXPECT_NE(snapshot.error().message.find("not a readable tar archive"), std::string::npos)
        << snapshot.error().message;
  }
}

TEST_F(LayersTest, EmptyLayers) {
  // The empty layer images use (a gzip of the 1024-byte end-of-archive marker) and an empty
  // uncompressed tar change nothing.
  const auto lower = layer(make_tar({F("a", "a")}, Compression::gzip));
  auto snapshot = read({lower, layer(gzip_member(std::string(1024, '\0'))), layer(std::string(1024, '\0')),
                        layer(make_tar({}, Compression::zstd))});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot), (Contents{{"a", "a"}}));
  // A zero-byte file is not a layer.
  auto zero = read({lower, layer("")});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::corrupt) << zero.error().message;
  EXPECT_TRUE(zero.error().message.starts_with("layer 2 (")) << zero.error().message;
}

TEST_F(LayersTest, MissingLayerFileIsNotFound) {
  auto snapshot = read({Layer{dir_.path() / "nope", 0, std::nullopt}});
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code, Errc::not_found);
}

TEST_F(LayersTest, TruncatedLayersAreCorrupt) {
  const std::string data = random_bytes(256 * 1024);
  for (Compression compression : {Compression::gzip, Compression::zstd, Compression::none}) {
    std::string bytes = make_tar({F("a", "a"), F("random", data), F("z", "z")}, compression);
    bytes.resize(bytes.size() / 2);
    for (const Selector& selector : {keep_all(), keep_nothing()}) {
      auto snapshot = read({layer(bytes)}, selector);
      ASSERT_FALSE(snapshot);
      EXPECT_EQ(snapshot.error().code, Errc::corrupt) << snapshot.error().message;
      EXPECT_TRUE(snapshot.error().message.starts_with("layer 1 (")) << snapshot.error().message;
    }
  }
}

// 2 GiB of zeros in one entry, gzip-compressed to about 2 MiB: a gzip stream of many members
// (which gzip readers concatenate), so that the test does not compress 2 GiB.
std::string zero_bomb() {
  constexpr std::uint64_t kChunk = std::uint64_t{16} << 20;
  constexpr std::uint64_t kSize = std::uint64_t{2} << 30;
  std::string out = gzip_member(ustar_header("zeros", kSize));
  const std::string chunk = gzip_member(std::string(kChunk, '\0'));
  for (std::uint64_t i = 0; i < kSize / kChunk; ++i) out += chunk;
  out += gzip_member(std::string(1024, '\0'));  // end of archive
  return out;
}

TEST_F(LayersTest, DecompressionBombStopsAtTheDefaultRatio) {
  const std::string bomb = zero_bomb();
  EXPECT_LT(bomb.size(), std::size_t{4} << 20);
  const auto base = layer(make_tar({F("a", "a")}, Compression::gzip));
  const auto bomb_layer = layer(bomb);
  // Skipped as unwanted, or read by a selector that streams through the file for a summary and
  // even ignores the read error: either way the walk fails.
  Selector streaming{[](const Entry&) { return true; },
                     [](const Entry&, Content& content) -> base::Result<std::optional<std::string>> {
                       std::vector<char> buffer(1 << 20);
                       std::uint64_t total = 0;
                       for (;;) {
                         auto n = content.read(buffer);
                         if (!n || *n == 0) break;
                         total += *n;
                       }
                       return std::optional<std::string>(std::to_string(total));
                     }};
  for (const Selector& selector : {keep_nothing(), streaming}) {
    const auto start = std::chrono::steady_clock::now();
    auto snapshot = read({base, bomb_layer}, selector);
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(snapshot);
    EXPECT_EQ(snapshot.error().code, Errc::too_large);
    EXPECT_TRUE(snapshot.error().message.starts_with("layer 2 (")) << snapshot.error().message;
    EXPECT_NE(snapshot.error().message.find("200 times its compressed size (decompression bomb?)"),
              std::string::npos)
        << snapshot.error().message;
    // Stopped soon after 1 GiB, not after inflating all of it.
    EXPECT_LT(seconds, 20.0);
  }
}

TEST_F(LayersTest, DeclaredSizeBeyondTheLimitIsRefusedUpFront) {
  Limits limits;
  limits.max_expanded_bytes = 64 << 20;
  // A 200 MiB entry whose data is not even there: refused at its header, before inflating.
  std::string bomb = gzip_member(ustar_header("zeros", 200 << 20));
  bomb += gzip_member(std::string(std::size_t{1} << 20, '\0'));
  auto snapshot = read({layer(bomb)}, keep_all(std::uint64_t{1} << 40), limits);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code, Errc::too_large);
  EXPECT_NE(snapshot.error().message.find("expands beyond 64 MiB (decompression bomb?)"), std::string::npos)
      << snapshot.error().message;
  EXPECT_NE(snapshot.error().message.find("\"zeros\" holds 209715200 bytes"), std::string::npos)
      << snapshot.error().message;
}

TEST_F(LayersTest, ExpandedBytesLimitCountsEveryEntry) {
  Limits limits;
  limits.max_expanded_bytes = 1 << 20;
  std::vector<Item> items;
  for (int i = 0; i < 20; ++i) items.push_back(F("f" + std::to_string(i), std::string(100000, 'x')));
  for (Compression compression : {Compression::gzip, Compression::none}) {
    for (const Selector& selector : {keep_all(), keep_nothing()}) {
      auto snapshot = read({layer(make_tar(items, compression))}, selector, limits);
      ASSERT_FALSE(snapshot);
      EXPECT_EQ(snapshot.error().code, Errc::too_large);
      EXPECT_NE(snapshot.error().message.find("expands beyond 1 MiB"), std::string::npos)
          << snapshot.error().message;
    }
  }
  // Within the limit, the same layer minus a few entries is fine.
  items.resize(8);
  auto snapshot = read({layer(make_tar(items, Compression::gzip))}, keep_nothing(), limits);
  EXPECT_TRUE(snapshot) << snapshot.error().message;
}

TEST_F(LayersTest, EntriesPerLayerLimit) {
  Limits limits;
  limits.max_entries = 3;
  const auto small = layer(make_tar({D("a"), F("a/1", "1"), F("a/2", "2")}));
  const auto large = layer(make_tar({D("a"), F("a/1", "1"), F("a/2", "2"), F("a/3", "3")}));
  EXPECT_TRUE(read({small, small}, keep_all(), limits));  // per layer, not in total
  auto snapshot = read({small, large}, keep_all(), limits);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code, Errc::too_large);
  EXPECT_TRUE(snapshot.error().message.starts_with("layer 2 (")) << snapshot.error().message;
  EXPECT_NE(snapshot.error().message.find("has more than 3 entries"), std::string::npos)
      << snapshot.error().message;
}

TEST_F(LayersTest, KeptBytesLimit) {
  Limits limits;
  limits.max_kept_bytes = 10;
  EXPECT_TRUE(read({layer(make_tar({F("a", "12345"), F("b", "12345")}))}, keep_all(), limits));
  auto snapshot = read({layer(make_tar({F("a", "12345"), F("b", "123456")}))}, keep_all(), limits);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code, Errc::too_large);
  EXPECT_NE(snapshot.error().message.find("exceed 10 bytes"), std::string::npos) << snapshot.error().message;
}

TEST_F(LayersTest, ReadAllLimitFailsTheWalk) {
  const auto l = layer(make_tar({F("exact", "1234"), F("over", "12345")}));
  auto snapshot = read({l}, keep_all(4));
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code, Errc::too_large);
  EXPECT_NE(snapshot.error().message.find("exceeds 4 bytes"), std::string::npos) << snapshot.error().message;
  Selector selector = keep_all(4);
  selector.wants = [](const Entry& e) { return e.path == "exact"; };
  auto exact = read({l}, selector);
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(contents(*exact), (Contents{{"exact", "1234"}}));
}

TEST_F(LayersTest, LayerInsideABiggerFile) {
  for (Compression compression : {Compression::none, Compression::gzip}) {
    const std::string tar =
        make_tar({F("etc/os-release", "ID=inner\n"), F("big", random_bytes(3 << 20))}, compression);
    const std::string head = random_bytes(12345, 1);
    const fs::path file = dir_.path() / "container.bin";
    write_file(file, head + tar + "TRAILING GARBAGE THAT IS NOT TAR");
    Selector selector = keep_all();
    selector.wants = [](const Entry& e) { return e.path == "etc/os-release"; };
    auto snapshot = read({Layer{file, head.size(), tar.size()}}, selector);
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    EXPECT_EQ(contents(*snapshot), (Contents{{"etc/os-release", "ID=inner\n"}}));
    // A length cutting the layer short is a truncated layer.
    auto cut = read({Layer{file, head.size(), tar.size() / 2}}, keep_all(std::uint64_t{1} << 30));
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().code, Errc::corrupt) << cut.error().message;
  }
}

// ---- Unpacked directories ------------------------------------------------------------------

TEST(ReadDirectory, WalksRegularFilesWithoutFollowingSymlinks) {
  TempDir dir;
  const fs::path root = dir.path() / "rootfs";
  write_file(root / "etc/os-release", "ID=dir\n");
  write_file(root / "usr/lib/x.so", "lib");
  write_file(root / "drop-me", "drop");
  fs::create_directories(root / "empty");
  write_file(dir.path() / "outside/secret", "secret");
  fs::create_directory_symlink(dir.path() / "outside", root / "linked-dir");
  fs::create_symlink(dir.path() / "outside/secret", root / "linked-file");
  ::chmod((root / "usr/lib/x.so").c_str(), 0750);

  auto snapshot = read_directory(root, keep_all());
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot), (Contents{{"etc/os-release", "ID=dir\n"}, {"usr/lib/x.so", "lib"}}));
  EXPECT_EQ(snapshot->at("usr/lib/x.so").entry.mode, 0750u);
  EXPECT_EQ(snapshot->at("usr/lib/x.so").entry.size, 3u);

  // A trailing slash on the root gives the same relative paths.
  auto again = read_directory(root.string() + "/", keep_all());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(contents(*again), contents(*snapshot));

  Limits limits;
  limits.max_kept_bytes = 5;
  auto limited = read_directory(root, keep_all(), limits);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, Errc::too_large);

  auto missing = read_directory(dir.path() / "nope", keep_all());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST(ReadDirectory, SkipsUnreadableDirectories) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every directory";
  TempDir dir;
  write_file(dir.path() / "ok", "ok");
  write_file(dir.path() / "locked/hidden", "hidden");
  fs::permissions(dir.path() / "locked", fs::perms::none);
  auto snapshot = read_directory(dir.path(), keep_all());
  fs::permissions(dir.path() / "locked", fs::perms::owner_all);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(contents(*snapshot), (Contents{{"ok", "ok"}}));
}

// ---- OCI layouts and image archives ----------------------------------------------------------

// The pieces of a small image: layer blobs and the JSON documents naming them.
struct Blobs {
  std::map<std::string, std::string> files;  // path in the layout -> content

  std::string add(const std::string& data) {
    const std::string hex = sha256_hex(data);
    files["blobs/sha256/" + hex] = data;
    return "sha256:" + hex;
  }
};

std::string descriptor(const std::string& media_type, const std::string& digest, std::size_t size,
                       const std::string& extra = "") {
  return R"({"mediaType":")" + media_type + R"(","digest":")" + digest + R"(","size":)" +
         std::to_string(size) + extra + "}";
}

constexpr const char* kLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr const char* kLayerTar = "application/vnd.oci.image.layer.v1.tar";
constexpr const char* kManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kConfig = "application/vnd.oci.image.config.v1+json";

// An image manifest with two layers; returns its descriptor fields.
struct Built {
  std::string digest;
  std::size_t size = 0;
};

Built add_image(Blobs& blobs, const std::string& os_release, const std::string& arch) {
  const std::string layer1 =
      make_tar({F("etc/os-release", "ID=base\n"), F("bin/sh", "sh")}, Compression::gzip);
  const std::string layer2 =
      make_tar({F("etc/os-release", os_release), F("bin/.wh.sh", "")}, Compression::none);
  const std::string config = R"({"architecture":")" + arch + R"(","os":"linux","rootfs":{"type":"layers"}})";
  const std::string manifest = R"({"schemaVersion":2,"mediaType":")" + std::string(kManifest) +
                               R"(","config":)" + descriptor(kConfig, blobs.add(config), config.size()) +
                               R"(,"layers":[)" + descriptor(kLayerGzip, blobs.add(layer1), layer1.size()) +
                               "," + descriptor(kLayerTar, blobs.add(layer2), layer2.size()) + "]}";
  return Built{blobs.add(manifest), manifest.size()};
}

// A layout: one single-platform image tagged "1.0", and a multi-platform index tagged "multi"
// whose arm64 manifest is absent (as `docker save` leaves other platforms), plus an attestation.
Blobs make_layout() {
  Blobs blobs;
  const Built single = add_image(blobs, "ID=single\n", "amd64");
  const Built amd64 = add_image(blobs, "ID=multi\n", "amd64");
  const std::string absent = "sha256:" + std::string(64, 'a');
  const std::string attestation = R"({"schemaVersion":2,"mediaType":")" + std::string(kManifest) +
                                  R"(","config":)" + descriptor(kConfig, blobs.add("{}"), 2) +
                                  R"(,"layers":[)" +
                                  descriptor("application/vnd.in-toto+json", blobs.add("{}"), 2) + "]}";
  const std::string nested =
      R"({"schemaVersion":2,"mediaType":")" + std::string(kIndex) + R"(","manifests":[)" +
      descriptor(kManifest, amd64.digest, amd64.size,
                 R"(,"platform":{"os":"linux","architecture":"amd64"})") +
      "," +
      descriptor(kManifest, absent, 100,
                 R"(,"platform":{"os":"linux","architecture":"arm64","variant":"v8"})") +
      "," +
      descriptor(kManifest, blobs.add(attestation), attestation.size(),
                 R"(,"platform":{"os":"unknown","architecture":"unknown"},)"
                 R"("annotations":{"vnd.docker.reference.type":"attestation-manifest"})") +
      "]}";
  blobs.files["index.json"] = R"({"schemaVersion":2,"manifests":[)" +
                              descriptor(kManifest, single.digest, single.size,
                                         R"(,"annotations":{"org.opencontainers.image.ref.name":"1.0"})") +
                              "," +
                              descriptor(kIndex, blobs.add(nested), nested.size(),
                                         R"(,"annotations":{"org.opencontainers.image.ref.name":"multi"})") +
                              "]}";
  blobs.files["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
  return blobs;
}

void expect_layout_images(const std::vector<LocalImage>& images) {
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].name, "1.0");
  EXPECT_EQ(images[0].platform, "linux/amd64");  // from the config
  EXPECT_EQ(images[1].name, "multi");
  EXPECT_EQ(images[1].platform, "linux/amd64");  // from the index descriptor
  const Contents expected[] = {{{"etc/os-release", "ID=single\n"}}, {{"etc/os-release", "ID=multi\n"}}};
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(images[i].layers.size(), 2u);
    auto snapshot = read_layers(images[i].layers, keep_all());
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    EXPECT_EQ(contents(*snapshot), expected[i]);
  }
}

TEST(OpenOciLayout, FindsImagesFollowingIndexes) {
  TempDir dir;
  for (const auto& [path, data] : make_layout().files) write_file(dir.path() / path, data);
  auto images = open_oci_layout(dir.path());
  ASSERT_TRUE(images) << images.error().message;
  expect_layout_images(*images);
  for (const LocalImage& image : *images) {
    for (const Layer& l : image.layers) {
      EXPECT_EQ(l.offset, 0u);
      EXPECT_FALSE(l.length);
      EXPECT_TRUE(l.file.string().starts_with((dir.path() / "blobs/sha256/").string())) << l.file;
    }
  }
}

TEST(OpenOciLayout, Errors) {
  TempDir dir;
  auto none = open_oci_layout(dir.path());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::invalid_argument);
  EXPECT_NE(none.error().message.find("no index.json"), std::string::npos);

  write_file(dir.path() / "index.json", "{not json");
  auto bad = open_oci_layout(dir.path());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::corrupt);

  // A digest that would leave blobs/ is refused.
  write_file(dir.path() / "index.json", R"({"manifests":[{"mediaType":")" + std::string(kManifest) +
                                            R"(","digest":"sha256:../../etc/passwd","size":1}]})");
  auto escape = open_oci_layout(dir.path());
  ASSERT_FALSE(escape);
  EXPECT_EQ(escape.error().code, Errc::corrupt);
  EXPECT_NE(escape.error().message.find("invalid digest"), std::string::npos) << escape.error().message;

  // A manifest present whose layer blob is missing.
  Blobs blobs = make_layout();
  for (auto& [path, data] : blobs.files) {
    if (data.size() > 2 && static_cast<unsigned char>(data[0]) == 0x1f) {
      write_file(dir.path() / "unused", data);  // drop the gzip layers
      continue;
    }
    write_file(dir.path() / path, data);
  }
  auto missing = open_oci_layout(dir.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_NE(missing.error().message.find("is missing"), std::string::npos) << missing.error().message;
}

// An uncompressed tar of `files` (entries of type Item), written with `format`.
std::string archive_of(const std::vector<Item>& items, TarFormat format) {
  return make_tar(items, Compression::none, format);
}

TEST(OpenImageArchive, OciArchive) {
  for (TarFormat format : {TarFormat::pax, TarFormat::gnu}) {
    TempDir dir;
    std::vector<Item> items;
    for (const auto& [path, data] : make_layout().files) items.push_back(F(path, data));
    const fs::path file = dir.path() / "image.tar";
    write_file(file, archive_of(items, format));
    auto images = open_image_archive(file);
    ASSERT_TRUE(images) << images.error().message;
    expect_layout_images(*images);
    for (const LocalImage& image : *images) {
      for (const Layer& l : image.layers) {
        EXPECT_EQ(l.file, file);
        EXPECT_GT(l.offset, 0u);
        EXPECT_EQ(l.offset % 512, 0u);
        EXPECT_TRUE(l.length);
      }
    }
  }
}

TEST(OpenImageArchive, DockerArchiveWithSharedLayersAndLongNames) {
  // As docker save writes it: <id>/layer.tar members, a layer shared by two images stored once
  // and symlinked, and one member name longer than 100 characters.
  const std::string base = make_tar({F("etc/os-release", "ID=docker\n"), F("etc/issue", "Debian")});
  const std::string app = make_tar({F("app/main.py", "print()"), F("etc/.wh.issue", "")}, Compression::gzip);
  const std::string long_dir = std::string(120, 'b');
  const std::string config = R"({"architecture":"arm64","variant":"v8","os":"linux"})";
  const std::string manifest = R"([{"Config":"cfg.json","RepoTags":["example/app:1","example/app:latest"],)"
                               R"("Layers":["aaa/layer.tar",")" +
                               long_dir + R"(/layer.tar"]},)" +
                               R"({"Config":"cfg.json","RepoTags":null,"Layers":["ccc/layer.tar"]}])";
  for (TarFormat format : {TarFormat::pax, TarFormat::gnu}) {
    TempDir dir;
    const fs::path file = dir.path() / "docker.tar";
    write_file(file, archive_of({D("aaa"), F("aaa/layer.tar", base), F(long_dir + "/layer.tar", app),
                                 D("ccc"), S("ccc/layer.tar", "../aaa/layer.tar"), F("cfg.json", config),
                                 F("./manifest.json", manifest)},
                                format));
    auto images = open_image_archive(file);
    ASSERT_TRUE(images) << images.error().message;
    ASSERT_EQ(images->size(), 2u);
    EXPECT_EQ((*images)[0].name, "example/app:1");
    EXPECT_EQ((*images)[0].platform, "linux/arm64/v8");
    EXPECT_EQ((*images)[1].name, "");
    auto first = read_layers((*images)[0].layers, keep_all());
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(contents(*first), (Contents{{"app/main.py", "print()"}, {"etc/os-release", "ID=docker\n"}}));
    auto second = read_layers((*images)[1].layers, keep_all());
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(contents(*second), (Contents{{"etc/issue", "Debian"}, {"etc/os-release", "ID=docker\n"}}));
    EXPECT_EQ((*images)[1].layers[0].offset, (*images)[0].layers[0].offset);  // the same bytes
  }
}

TEST(OpenImageArchive, Errors) {
  TempDir dir;
  const fs::path file = dir.path() / "x.tar";

  write_file(file, gzip_member(make_tar({F("manifest.json", "[]")})));
  auto compressed = open_image_archive(file);
  ASSERT_FALSE(compressed);
  EXPECT_EQ(compressed.error().code, Errc::unsupported);
  EXPECT_NE(compressed.error().message.find("is compressed (gzip)"), std::string::npos);

  write_file(file, random_bytes(5000));
  auto random = open_image_archive(file);
  ASSERT_FALSE(random);
  EXPECT_EQ(random.error().code, Errc::corrupt);
  EXPECT_NE(random.error().message.find("is not a tar archive"), std::string::npos) << random.error().message;

  write_file(file, make_tar({F("hello.txt", "hi")}));
  auto neither = open_image_archive(file);
  ASSERT_FALSE(neither);
  EXPECT_EQ(neither.error().code, Errc::unsupported);

  write_file(file, make_tar({F("manifest.json", R"([{"Config":"c.json","Layers":["missing/layer.tar"]}])")}));
  auto missing = open_image_archive(file);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::corrupt);
  EXPECT_NE(missing.error().message.find("\"missing/layer.tar\""), std::string::npos)
      << missing.error().message;

  std::string truncated = make_tar({F("manifest.json", "[]"), F("big", random_bytes(100000))});
  truncated.resize(50000);
  write_file(file, truncated);
  auto cut = open_image_archive(file);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, Errc::corrupt);

  auto absent = open_image_archive(dir.path() / "absent.tar");
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, Errc::not_found);
}

}  // namespace
}  // namespace berth::image
