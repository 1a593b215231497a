#include "replication/local_side.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "oci/names.h"

namespace berth::replication {
namespace {

using base::Errc;

base::Error from_oci(const oci::Error& error) {
  Errc code = Errc::invalid_argument;
  switch (error.code) {
    case oci::ErrorCode::blob_unknown:
    case oci::ErrorCode::blob_upload_unknown:
    case oci::ErrorCode::manifest_unknown:
    case oci::ErrorCode::name_unknown:
      code = Errc::not_found;
      break;
    case oci::ErrorCode::denied:
    case oci::ErrorCode::precondition:
      code = Errc::conflict;
      break;
    case oci::ErrorCode::too_many_requests:
    case oci::ErrorCode::unavailable:
      code = Errc::unavailable;
      break;
    case oci::ErrorCode::internal:
      code = Errc::internal;
      break;
    default:
      break;
  }
  std::string message = error.message;
  if (!error.detail.empty()) message += " (" + error.detail + ")";
  return base::make_error(code, std::string(oci::code_name(error.code)) + ": " + message);
}

class LocalWriter final : public BlobWriter {
 public:
  LocalWriter(registry::Registry& registry, std::string repository, registry::UploadLease lease)
      : registry_(registry), repository_(std::move(repository)), lease_(std::move(lease)) {}
  ~LocalWriter() override {
    if (!finished_) registry_.abandon_upload(std::move(lease_));
  }

  std::uint64_t offset() const override { return lease_.size(); }

  base::Status write(std::string_view data) override {
    if (auto s = lease_.append(data); !s) return from_oci(s.error());
    return {};
  }

  base::Status resume() override { return {}; }  // a local append either happened or failed whole

  base::Status finish(const std::string& digest, std::string_view last) override {
    if (!last.empty()) {
      if (auto s = write(last); !s) return s;
    }
    finished_ = true;
    if (auto done = registry_.complete_upload(std::move(lease_), digest); !done)
      return from_oci(done.error());
    return {};
  }

 private:
  registry::Registry& registry_;
  std::string repository_;
  registry::UploadLease lease_;
  bool finished_ = false;
};

class LocalSide final : public Side {
 public:
  LocalSide(registry::Registry& registry, meta::IamDatabase& iam, meta::LabelDatabase& labels,
            std::int64_t owner_id)
      : registry_(registry), iam_(iam), labels_(labels), owner_id_(owner_id) {}

  std::string name() const override { return "local"; }

  base::Result<std::vector<std::string>> repositories() override {
    auto all = registry_.list_repositories(meta::Page{});
    if (!all) return from_oci(all.error());
    return std::move(*all);
  }

  base::Result<std::vector<std::string>> tags(const std::string& repository) override {
    auto all = registry_.list_tags(repository, meta::Page{});
    if (!all) {
      if (all.error().code == oci::ErrorCode::name_unknown) return std::vector<std::string>();
      return from_oci(all.error());
    }
    return std::move(*all);
  }

  base::Result<std::optional<std::string>> resolve(const std::string& repository,
                                                   const std::string& reference) override {
    auto found = registry_.get_manifest(repository, reference);
    if (!found) {
      if (found.error().code == oci::ErrorCode::manifest_unknown ||
          found.error().code == oci::ErrorCode::name_unknown)
        return std::optional<std::string>();
      return from_oci(found.error());
    }
    return std::optional<std::string>(found->digest);
  }

  base::Result<Manifest> manifest(const std::string& repository, const std::string& reference) override {
    auto found = registry_.get_manifest(repository, reference);
    if (!found) return from_oci(found.error());
    return Manifest{found->digest, found->media_type, *found->body};
  }

  base::Status put_manifest(const std::string& repository, const std::string& reference,
                            const Manifest& manifest) override {
    if (auto s = registry_.put_manifest(repository, reference, manifest.media_type, manifest.bytes); !s)
      return from_oci(s.error());
    return {};
  }

  base::Status delete_manifest(const std::string& repository, const std::string& digest) override {
    if (auto s = registry_.delete_manifest(repository, digest); !s) return from_oci(s.error());
    return {};
  }

  base::Result<std::vector<std::string>> referrers(const std::string& repository,
                                                   const std::string& digest) override {
    auto found = registry_.referrers(repository, digest, "");
    if (!found) return from_oci(found.error());
    std::vector<std::string> out;
    for (const auto& record : *found) out.push_back(record.digest);
    return out;
  }

  base::Result<std::vector<std::string>> labels(const std::string& repository,
                                                const std::string& digest) override {
    auto found = labels_.labels_of(repository, digest);
    if (!found) return std::move(found).error();
    std::vector<std::string> out;
    for (const auto& label : *found) out.push_back(label.name);
    return out;
  }

  base::Result<bool> has_blob(const std::string& repository, const std::string& digest) override {
    auto found = registry_.stat_blob(repository, digest);
    if (found) return true;
    if (found.error().code == oci::ErrorCode::blob_unknown) return false;
    return from_oci(found.error());
  }

  base::Result<std::string> read_blob(const std::string& repository, const std::string& digest,
                                      std::uint64_t offset, std::uint64_t length) override {
    auto parsed = oci::Digest::parse(digest);
    if (!parsed) return base::make_error(Errc::invalid_argument, "invalid digest " + digest);
    auto reader = registry_.open_blob(repository, *parsed);
    if (!reader) return from_oci(reader.error());
    if (offset >= reader->size) return std::string();
    std::string out(std::min<std::uint64_t>(length, reader->size - offset), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n =
          ::pread(reader->fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return base::make_error(Errc::io_error, "cannot read blob " + digest + ": " +
                                                    (n < 0 ? std::strerror(errno) : "short file"));
      done += static_cast<std::size_t>(n);
    }
    return out;
  }

  base::Result<std::unique_ptr<BlobWriter>> write_blob(const std::string& repository,
                                                       const std::string& digest,
                                                       const std::string& mount_from) override {
    if (!mount_from.empty() && registry_.mount_blob(repository, mount_from, digest))
      return std::unique_ptr<BlobWriter>();
    auto lease = registry_.start_upload(repository);
    if (!lease) return from_oci(lease.error());
    return std::unique_ptr<BlobWriter>(new LocalWriter(registry_, repository, std::move(*lease)));
  }

  base::Status prepare_namespace(const std::string& repository) override {
    const std::string project = repository.substr(0, repository.find('/'));
    if (project == repository)
      return base::make_error(Errc::invalid_argument,
                              "repository " + repository + " has no project: name it <project>/<name>");
    auto found = iam_.find_project(project);
    if (!found) return std::move(found).error();
    if (*found) return {};
    meta::Project created;
    created.name = project;
    created.owner_id = owner_id_;
    created.metadata["public"] = "false";
    auto id = iam_.create_project(created);
    if (!id && id.error().code != Errc::already_exists) return std::move(id).error();
    return {};
  }

 private:
  registry::Registry& registry_;
  meta::IamDatabase& iam_;
  meta::LabelDatabase& labels_;
  std::int64_t owner_id_;
};

}  // namespace

std::unique_ptr<Side> local_side(registry::Registry& registry, meta::IamDatabase& iam,
                                 meta::LabelDatabase& labels, std::int64_t owner_id) {
  return std::make_unique<LocalSide>(registry, iam, labels, owner_id);
}

}  // namespace berth::replication
