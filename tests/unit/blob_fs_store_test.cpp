#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "blob/store.h"

namespace berth::blob {
namespace {

namespace fs = std::filesystem;
using base::Errc;
using oci::Digest;
using oci::DigestAlgorithm;

constexpr char kHelloSha256[] = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr char kEmptySha256[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Digest parse(std::string_view text) {
  auto digest = Digest::parse(text);
  EXPECT_TRUE(digest.ok()) << text;
  return digest.ok() ? digest.value() : Digest{};
}

// Deterministic bytes that are not a repetition of a short pattern.
std::string make_bytes(std::size_t size, unsigned seed = 1) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

class FsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "berth-blob-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<Store> open_store() {
    auto store = open_filesystem_store(root_);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::unique_ptr<Upload> create(const std::string& id) {
    auto upload = store_->create_upload(id);
    EXPECT_TRUE(upload.ok()) << (upload.ok() ? "" : upload.error().message);
    return upload.ok() ? std::move(upload).value() : nullptr;
  }

  std::string blob_path(const Digest& d) const {
    return root_ + "/blobs/" + std::string(oci::algorithm_name(d.algorithm())) + "/" + d.hex().substr(0, 2) +
           "/" + d.hex();
  }

  // Every regular file under blobs/ must be a complete blob at its digest path.
  void expect_no_stray_files() const {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root_ + "/blobs", ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      fs::path rel = fs::relative(it->path(), root_ + "/blobs");
      std::vector<std::string> parts(rel.begin(), rel.end());
      ASSERT_EQ(parts.size(), 3u) << rel;
      auto digest = Digest::parse(parts[0] + ":" + parts[2]);
      ASSERT_TRUE(digest.ok()) << rel;
      EXPECT_EQ(parts[1], parts[2].substr(0, 2)) << rel;
      std::string content(fs::file_size(it->path()), '\0');
      std::ifstream(it->path(), std::ios::binary)
          .read(content.data(), static_cast<std::streamsize>(content.size()));
      EXPECT_EQ(oci::digest_of(content, digest->algorithm()), *digest) << rel;
    }
    EXPECT_FALSE(ec) << ec.message();
  }

  std::size_t count_files(const std::string& dir) const {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file() ? 1 : 0;
    return n;
  }

  std::string root_;
  std::unique_ptr<Store> store_;
};

TEST_F(FsStoreTest, OpenCreatesLayout) {
  EXPECT_TRUE(fs::is_directory(root_ + "/blobs/sha256"));
  EXPECT_TRUE(fs::is_directory(root_ + "/blobs/sha512"));
  EXPECT_TRUE(fs::is_directory(root_ + "/uploads"));
}

TEST_F(FsStoreTest, OpenFailsWhenRootIsAFile) {
  std::string file = root_ + "/file";
  std::ofstream(file) << "x";
  auto store = open_filesystem_store(file);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::io_error);
  EXPECT_FALSE(open_filesystem_store("").ok());
}

TEST_F(FsStoreTest, PutStatOpenReadAllRoundTrip) {
  auto digest = store_->put("hello");
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  EXPECT_EQ(digest->str(), kHelloSha256);
  EXPECT_TRUE(fs::is_regular_file(blob_path(*digest)));

  auto size = store_->stat(*digest);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 5u);

  auto reader = store_->open(*digest);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader->size, 5u);
  ASSERT_TRUE(reader->fd.valid());
  EXPECT_NE(::fcntl(reader->fd.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(::fcntl(reader->fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  char buffer[16] = {};
  EXPECT_EQ(::pread(reader->fd.get(), buffer, sizeof buffer, 0), 5);
  EXPECT_EQ(std::string(buffer, 5), "hello");

  auto data = store_->read_all(*digest);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "hello");
  expect_no_stray_files();
}

TEST_F(FsStoreTest, CopyToLinksOnOneFileSystemAndCopiesAcrossThem) {
  const std::string data = make_bytes(3 * 1024 * 1024 + 17);  // more than one copy buffer
  auto digest = store_->put(data);
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  struct stat original {};
  ASSERT_EQ(::stat(blob_path(*digest).c_str(), &original), 0);

  const std::string near_root = root_ + "/near";
  auto near = open_filesystem_store(near_root);
  ASSERT_TRUE(near.ok());
  ASSERT_TRUE(store_->copy_to(*digest, **near).ok());
  ASSERT_TRUE(store_->copy_to(*digest, **near).ok()) << "copying again is harmless";
  EXPECT_EQ(*(*near)->read_all(*digest), data);
  struct stat linked {};
  ASSERT_EQ(::stat((near_root + "/blobs/sha256/" + digest->hex().substr(0, 2) + "/" + digest->hex()).c_str(),
                   &linked),
            0);
  EXPECT_EQ(linked.st_ino, original.st_ino) << "a hard link on the same file system";

  // /dev/shm is another file system (tmpfs): the copy is verified and complete.
  std::string pattern = "/dev/shm/berth-blob-far-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) GTEST_SKIP() << "no /dev/shm here";
  auto far = open_filesystem_store(pattern);
  ASSERT_TRUE(far.ok());
  auto copied = store_->copy_to(*digest, **far);
  EXPECT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(*(*far)->read_all(*digest), data);
  EXPECT_TRUE((*far)->list_uploads()->empty()) << "no temporary upload left behind";
  std::error_code ec;
  fs::remove_all(pattern, ec);

  auto missing = store_->copy_to(parse(kEmptySha256), **near);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(FsStoreTest, PutDeduplicates) {
  auto first = store_->put("same bytes");
  auto second = store_->put("same bytes");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(count_files(root_ + "/blobs"), 1u);
  EXPECT_EQ(count_files(root_ + "/uploads"), 0u);
}

TEST_F(FsStoreTest, PutEmptyAndLargeBlobs) {
  auto empty = store_->put("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->str(), kEmptySha256);
  EXPECT_EQ(*store_->stat(*empty), 0u);
  EXPECT_EQ(*store_->read_all(*empty), "");

  std::string big = make_bytes((3u << 20) + 17);
  auto digest = store_->put(big);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*store_->stat(*digest), big.size());
  EXPECT_EQ(*store_->read_all(*digest), big);
}

TEST_F(FsStoreTest, PutSha512) {
  auto digest = store_->put("hello", DigestAlgorithm::sha512);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->algorithm(), DigestAlgorithm::sha512);
  EXPECT_EQ(*digest, oci::digest_of("hello", DigestAlgorithm::sha512));
  EXPECT_TRUE(fs::is_regular_file(blob_path(*digest)));
  EXPECT_EQ(*store_->read_all(*digest), "hello");
}

TEST_F(FsStoreTest, MissingBlobIsNotFound) {
  Digest missing = oci::digest_of("never stored");
  EXPECT_EQ(store_->stat(missing).error().code, Errc::not_found);
  EXPECT_EQ(store_->open(missing).error().code, Errc::not_found);
  EXPECT_EQ(store_->read_all(missing).error().code, Errc::not_found);
}

TEST_F(FsStoreTest, MalformedDigestIsRejected) {
  Digest empty;  // no hex: must never turn into a path
  EXPECT_EQ(store_->stat(empty).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->open(empty).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->remove(empty).error().code, Errc::invalid_argument);
  auto upload = create("u1");
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(upload->commit(empty).error().code, Errc::invalid_argument);
}

TEST_F(FsStoreTest, UploadInPiecesThenCommit) {
  std::string content = make_bytes(100000);
  auto upload = create("3f1c8a4e-6b2d-4f0a-9e7c-1d2b3c4d5e6f");
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(upload->id(), "3f1c8a4e-6b2d-4f0a-9e7c-1d2b3c4d5e6f");
  EXPECT_EQ(upload->size(), 0u);
  for (std::size_t at = 0; at < content.size(); at += 7777) {
    ASSERT_TRUE(upload->append(std::string_view(content).substr(at, 7777)).ok());
  }
  ASSERT_TRUE(upload->append("").ok());
  EXPECT_EQ(upload->size(), content.size());

  Digest digest = oci::digest_of(content);
  auto committed = upload->commit(digest);
  ASSERT_TRUE(committed.ok()) << committed.error().message;

  EXPECT_EQ(*store_->read_all(digest), content);
  EXPECT_FALSE(fs::exists(root_ + "/uploads/3f1c8a4e-6b2d-4f0a-9e7c-1d2b3c4d5e6f"));
  EXPECT_TRUE(store_->list_uploads()->empty());
  EXPECT_EQ(store_->open_upload("3f1c8a4e-6b2d-4f0a-9e7c-1d2b3c4d5e6f").error().code, Errc::not_found);
  // The upload object is finished.
  EXPECT_FALSE(upload->append("more").ok());
  EXPECT_FALSE(upload->commit(digest).ok());
  expect_no_stray_files();
}

TEST_F(FsStoreTest, CommitWithWrongDigestDeletesUpload) {
  auto upload = create("wrong");
  ASSERT_NE(upload, nullptr);
  ASSERT_TRUE(upload->append("hello").ok());
  Digest claimed = oci::digest_of("hellO");
  auto committed = upload->commit(claimed);
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.error().code, Errc::invalid_argument);
  EXPECT_NE(committed.error().message.find(claimed.str()), std::string::npos) << committed.error().message;
  EXPECT_NE(committed.error().message.find(kHelloSha256), std::string::npos) << committed.error().message;

  EXPECT_EQ(store_->stat(claimed).error().code, Errc::not_found);
  EXPECT_EQ(store_->stat(parse(kHelloSha256)).error().code, Errc::not_found);
  EXPECT_FALSE(fs::exists(root_ + "/uploads/wrong"));
  EXPECT_EQ(count_files(root_ + "/blobs"), 0u);
}

TEST_F(FsStoreTest, CommitSha512) {
  std::string content = make_bytes((2u << 20) + 5, 7);  // more than one rehash buffer
  auto upload = create("sha512-upload");
  ASSERT_NE(upload, nullptr);
  ASSERT_TRUE(upload->append(std::string_view(content).substr(0, 1000)).ok());
  ASSERT_TRUE(upload->append(std::string_view(content).substr(1000)).ok());

  auto wrong = store_->create_upload("sha512-wrong");
  ASSERT_TRUE(wrong.ok());
  ASSERT_TRUE((*wrong)->append(content).ok());
  EXPECT_EQ((*wrong)->commit(oci::digest_of("other", DigestAlgorithm::sha512)).error().code,
            Errc::invalid_argument);
  EXPECT_FALSE(fs::exists(root_ + "/uploads/sha512-wrong"));

  Digest digest = oci::digest_of(content, DigestAlgorithm::sha512);
  auto committed = upload->commit(digest);
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_TRUE(fs::is_regular_file(blob_path(digest)));
  EXPECT_EQ(*store_->read_all(digest), content);
  EXPECT_TRUE(store_->list_uploads()->empty());
  expect_no_stray_files();
}

TEST_F(FsStoreTest, CommitOfExistingBlobDiscardsUpload) {
  auto stored = store_->put("hello");
  ASSERT_TRUE(stored.ok());
  auto upload = create("dup");
  ASSERT_NE(upload, nullptr);
  ASSERT_TRUE(upload->append("hel").ok());
  ASSERT_TRUE(upload->append("lo").ok());
  ASSERT_TRUE(upload->commit(*stored).ok());
  EXPECT_FALSE(fs::exists(root_ + "/uploads/dup"));
  EXPECT_EQ(*store_->read_all(*stored), "hello");
  EXPECT_EQ(count_files(root_ + "/blobs"), 1u);
}

TEST_F(FsStoreTest, ResumeUploadAfterRestart) {
  std::string content = make_bytes((1u << 20) * 2 + 12345, 3);
  std::size_t half = 1500000;
  {
    auto upload = create("resume-me");
    ASSERT_NE(upload, nullptr);
    ASSERT_TRUE(upload->append(std::string_view(content).substr(0, 1000)).ok());
    ASSERT_TRUE(upload->append(std::string_view(content).substr(1000, half - 1000)).ok());
  }
  store_.reset();  // simulated restart: a fresh store knows nothing of the upload

  store_ = open_store();
  ASSERT_NE(store_, nullptr);
  auto uploads = store_->list_uploads();
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->size(), 1u);
  EXPECT_EQ((*uploads)[0].id, "resume-me");
  EXPECT_EQ((*uploads)[0].size, half);

  auto reopened = store_->open_upload("resume-me");
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  auto& upload = *reopened;
  EXPECT_EQ(upload->id(), "resume-me");
  EXPECT_EQ(upload->size(), half);
  ASSERT_TRUE(upload->append(std::string_view(content).substr(half)).ok());
  EXPECT_EQ(upload->size(), content.size());
  Digest digest = oci::digest_of(content);
  auto committed = upload->commit(digest);
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(*store_->read_all(digest), content);
  EXPECT_FALSE(fs::exists(root_ + "/uploads/resume-me"));
}

TEST_F(FsStoreTest, OpenMissingUploadIsNotFound) {
  EXPECT_EQ(store_->open_upload("nope").error().code, Errc::not_found);
}

TEST_F(FsStoreTest, CreateExistingUploadFails) {
  auto upload = create("taken");
  ASSERT_NE(upload, nullptr);
  ASSERT_TRUE(upload->append("abc").ok());
  auto again = store_->create_upload("taken");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_EQ(store_->open_upload("taken").value()->size(), 3u);
}

TEST_F(FsStoreTest, InvalidUploadIdsAreRejected) {
  const std::string bad[] = {"",    "../x", "a/b", "/etc/passwd",          ".",        "..",
                             "a b", "a.b",  "a_b", std::string("a\0b", 3), "\xc3\xa9", std::string(65, 'a')};
  for (const std::string& id : bad) {
    auto created = store_->create_upload(id);
    ASSERT_FALSE(created.ok()) << id;
    EXPECT_EQ(created.error().code, Errc::invalid_argument) << id;
    EXPECT_EQ(store_->open_upload(id).error().code, Errc::invalid_argument) << id;
    EXPECT_EQ(store_->remove_upload(id).error().code, Errc::invalid_argument) << id;
  }
  EXPECT_FALSE(fs::exists(root_ + "/x"));
  EXPECT_TRUE(store_->create_upload(std::string(64, 'Z')).ok());
  EXPECT_TRUE(store_->create_upload("0123-abcd-ABCD").ok());
}

TEST_F(FsStoreTest, RemoveIsIdempotent) {
  auto digest = store_->put("to remove");
  ASSERT_TRUE(digest.ok());
  EXPECT_TRUE(store_->remove(*digest).ok());
  EXPECT_EQ(store_->stat(*digest).error().code, Errc::not_found);
  EXPECT_TRUE(store_->remove(*digest).ok());
  EXPECT_TRUE(store_->remove(oci::digest_of("never", DigestAlgorithm::sha512)).ok());
}

TEST_F(FsStoreTest, RemoveUploadIsIdempotent) {
  auto upload = create("gone");
  ASSERT_NE(upload, nullptr);
  ASSERT_TRUE(upload->append("data").ok());
  EXPECT_TRUE(store_->remove_upload("gone").ok());
  EXPECT_FALSE(fs::exists(root_ + "/uploads/gone"));
  EXPECT_TRUE(store_->remove_upload("gone").ok());
  EXPECT_EQ(store_->open_upload("gone").error().code, Errc::not_found);
  // The old handle cannot resurrect the removed upload as a blob.
  auto committed = upload->commit(oci::digest_of("data"));
  EXPECT_FALSE(committed.ok());
  EXPECT_EQ(store_->stat(oci::digest_of("data")).error().code, Errc::not_found);
}

TEST_F(FsStoreTest, ListUploads) {
  auto before = std::chrono::system_clock::now() - std::chrono::seconds(2);
  auto a = create("b-upload");
  auto b = create("a-upload");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->append("12345").ok());
  std::ofstream(root_ + "/uploads/not.an.id") << "junk";  // skipped
  fs::create_directory(root_ + "/uploads/somedir");       // skipped

  auto uploads = store_->list_uploads();
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->size(), 2u);
  EXPECT_EQ((*uploads)[0].id, "a-upload");
  EXPECT_EQ((*uploads)[0].size, 0u);
  EXPECT_EQ((*uploads)[1].id, "b-upload");
  EXPECT_EQ((*uploads)[1].size, 5u);
  for (const auto& info : *uploads) {
    EXPECT_GE(info.modified, before);
    EXPECT_LE(info.modified, std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

TEST_F(FsStoreTest, ListBlobsSkipsForeignFiles) {
  auto one = store_->put("one");
  auto two = store_->put("two", DigestAlgorithm::sha512);
  auto upload = create("three");
  ASSERT_TRUE(one.ok() && two.ok() && upload != nullptr);
  ASSERT_TRUE(upload->append("three").ok());
  ASSERT_TRUE(upload->commit(oci::digest_of("three")).ok());

  // Things that are not blobs.
  std::string hex = oci::digest_of("foreign").hex();
  fs::create_directories(root_ + "/blobs/sha256/zz");
  fs::create_directories(root_ + "/blobs/md5/ab");
  std::ofstream(root_ + "/blobs/sha256/zz/" + hex) << "x";                             // bad shard
  std::ofstream(root_ + "/blobs/sha256/" + one->hex().substr(0, 2) + "/junk") << "x";  // bad name
  std::ofstream(root_ + "/blobs/md5/ab/abcdef") << "x";                                // unknown alg
  std::string other_shard = hex.substr(0, 2) == "00" ? "01" : "00";
  fs::create_directories(root_ + "/blobs/sha256/" + other_shard);
  std::ofstream(root_ + "/blobs/sha256/" + other_shard + "/" + hex) << "x";         // wrong shard
  fs::create_directories(root_ + "/blobs/sha256/" + hex.substr(0, 2) + "/" + hex);  // a directory
  std::ofstream(root_ + "/blobs/sha256/stray-file") << "x";

  auto blobs = store_->list_blobs();
  ASSERT_TRUE(blobs.ok()) << blobs.error().message;
  std::vector<Digest> expected = {*one, oci::digest_of("three"), *two};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*blobs, expected);
}

TEST_F(FsStoreTest, NoStrayFilesAfterMixedOperations) {
  ASSERT_TRUE(store_->put("a").ok());
  ASSERT_TRUE(store_->put("a").ok());
  ASSERT_TRUE(store_->put("b", DigestAlgorithm::sha512).ok());
  auto good = create("good");
  ASSERT_TRUE(good->append("c").ok());
  ASSERT_TRUE(good->commit(oci::digest_of("c")).ok());
  auto bad = create("bad");
  ASSERT_TRUE(bad->append("d").ok());
  ASSERT_FALSE(bad->commit(oci::digest_of("e")).ok());
  ASSERT_TRUE(store_->check().ok());
  expect_no_stray_files();
  EXPECT_EQ(count_files(root_ + "/blobs"), 3u);
  EXPECT_EQ(count_files(root_ + "/uploads"), 0u);
}

TEST_F(FsStoreTest, ConcurrentPutsAndCommitsOfSameDigest) {
  std::string content = make_bytes(200000, 9);
  Digest digest = oci::digest_of(content);
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      if (i % 2 == 0) {
        auto put = store_->put(content);
        ok[i] = put.ok() && *put == digest;
      } else {
        auto upload = store_->create_upload("c-" + std::to_string(i));
        if (!upload.ok()) return;
        ok[i] = (*upload)->append(content).ok() && (*upload)->commit(digest).ok();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_TRUE(ok[i]) << i;
  EXPECT_EQ(*store_->read_all(digest), content);
  EXPECT_EQ(count_files(root_ + "/blobs"), 1u);
  EXPECT_EQ(count_files(root_ + "/uploads"), 0u);
}

TEST_F(FsStoreTest, Check) {
  EXPECT_TRUE(store_->check().ok());
  EXPECT_EQ(count_files(root_ + "/uploads"), 0u);  // the probe is gone
  fs::remove_all(root_ + "/uploads");
  EXPECT_FALSE(store_->check().ok());
  fs::create_directory(root_ + "/uploads");
  EXPECT_TRUE(store_->check().ok());
  fs::remove_all(root_ + "/blobs");
  EXPECT_FALSE(store_->check().ok());
}

TEST_F(FsStoreTest, CommitRecreatesMissingDirectories) {
  fs::remove_all(root_ + "/blobs/sha256");
  auto digest = store_->put("after wipe");
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  EXPECT_EQ(*store_->read_all(*digest), "after wipe");
}

}  // namespace
}  // namespace berth::blob
