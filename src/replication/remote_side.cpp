#include "replication/remote_side.h"

#include <boost/json.hpp>
#include <set>

#include "base/base64.h"
#include "oci/names.h"

namespace berth::replication {
namespace {

namespace json = boost::json;
using base::Errc;

class RemoteWriter final : public BlobWriter {
 public:
  RemoteWriter(remote::RegistryClient& client, std::string repository, remote::UploadSession session)
      : client_(client), repository_(std::move(repository)), session_(std::move(session)) {}

  std::uint64_t offset() const override { return session_.offset; }

  base::Status write(std::string_view data) override {
    return client_.upload_chunk(repository_, session_, data);
  }

  base::Status resume() override {
    auto status = client_.upload_status(repository_, session_);
    if (!status) return status.error();
    session_ = std::move(*status);
    return {};
  }

  base::Status finish(const std::string& digest, std::string_view last) override {
    return client_.finish_upload(repository_, session_, digest, last);
  }

 private:
  remote::RegistryClient& client_;
  std::string repository_;
  remote::UploadSession session_;
};

class RemoteSide final : public Side {
 public:
  RemoteSide(RemoteSideOptions options, remote::RegistryClient client)
      : options_(std::move(options)), client_(std::move(client)) {}

  std::string name() const override { return client_.base_url(); }

  base::Result<std::vector<std::string>> repositories() override { return client_.catalog(); }

  base::Result<std::vector<std::string>> tags(const std::string& repository) override {
    return client_.tags(repository);
  }

  base::Result<std::optional<std::string>> resolve(const std::string& repository,
                                                   const std::string& reference) override {
    auto head = client_.head_manifest(repository, reference);
    if (!head) return std::move(head).error();
    if (!*head) return std::optional<std::string>();
    if (!(*head)->digest.empty()) return std::optional<std::string>((*head)->digest);
    auto full = client_.get_manifest(repository, reference);  // a registry without Docker-Content-Digest
    if (!full) return std::move(full).error();
    return std::optional<std::string>(full->digest);
  }

  base::Result<Manifest> manifest(const std::string& repository, const std::string& reference) override {
    auto got = client_.get_manifest(repository, reference);
    if (!got) return std::move(got).error();
    return Manifest{std::move(got->digest), std::move(got->media_type), std::move(got->bytes)};
  }

  base::Status put_manifest(const std::string& repository, const std::string& reference,
                            const Manifest& manifest) override {
    return client_.put_manifest(repository, reference, manifest.bytes, manifest.media_type);
  }

  base::Status delete_manifest(const std::string& repository, const std::string& digest) override {
    return client_.delete_manifest(repository, digest);
  }

  base::Result<std::vector<std::string>> referrers(const std::string& repository,
                                                   const std::string& digest) override {
    auto index = client_.referrers(repository, digest);
    if (!index) return std::move(index).error();
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto parsed = json::parse(*index, ec);
    if (ec || !parsed.is_object()) return out;
    const auto* manifests = parsed.as_object().if_contains("manifests");
    if (manifests == nullptr || !manifests->is_array()) return out;
    for (const auto& item : manifests->as_array()) {
      if (!item.is_object()) continue;
      const auto* d = item.as_object().if_contains("digest");
      if (d != nullptr && d->is_string()) out.emplace_back(d->as_string());
    }
    return out;
  }

  base::Result<std::vector<std::string>> labels(const std::string&, const std::string&) override {
    return std::vector<std::string>();
  }

  base::Result<bool> has_blob(const std::string& repository, const std::string& digest) override {
    return client_.has_blob(repository, digest);
  }

  base::Result<std::string> read_blob(const std::string& repository, const std::string& digest,
                                      std::uint64_t offset, std::uint64_t length) override {
    return client_.read_blob(repository, digest, offset, length);
  }

  base::Result<std::unique_ptr<BlobWriter>> write_blob(const std::string& repository,
                                                       const std::string& digest,
                                                       const std::string& mount_from) override {
    auto session = client_.start_upload(repository, digest, mount_from);
    if (!session) return std::move(session).error();
    if (session->mounted) return std::unique_ptr<BlobWriter>();
    return std::unique_ptr<BlobWriter>(new RemoteWriter(client_, repository, std::move(*session)));
  }

  base::Status prepare_namespace(const std::string& repository) override {
    if (options_.type != "harbor") return {};
    const std::string project = repository.substr(0, repository.find('/'));
    if (project == repository || !created_.insert(project).second) return {};
    remote::HttpCall call;
    call.method = "POST";
    call.url = client_.base_url() + "/api/v2.0/projects";
    call.headers = {"Content-Type: application/json", "Accept: application/json"};
    if (!options_.endpoint.username.empty())
      call.headers.push_back("Authorization: Basic " + base::base64_encode(options_.endpoint.username + ":" +
                                                                           options_.endpoint.password));
    call.body = json::serialize(
        json::object{{"project_name", project}, {"metadata", json::object{{"public", "false"}}}});
    call.verify_tls = !options_.endpoint.insecure;
    call.connect_timeout = options_.client.connect_timeout;
    call.timeout = options_.client.request_timeout;
    auto reply = remote::http_call(call);
    if (!reply) return reply.error();
    if (reply->status == 201 || reply->status == 409) return {};
    created_.erase(project);
    return base::make_error(
        reply->status == 401 || reply->status == 403 ? Errc::invalid_argument : Errc::unavailable,
        "cannot create project " + project + " at " + client_.base_url() + " (HTTP " +
            std::to_string(reply->status) + ")");
  }

 private:
  RemoteSideOptions options_;
  remote::RegistryClient client_;
  std::set<std::string> created_;
};

}  // namespace

base::Result<std::unique_ptr<Side>> remote_side(RemoteSideOptions options) {
  auto client = remote::RegistryClient::open(options.endpoint, options.client);
  if (!client) return std::move(client).error();
  return std::unique_ptr<Side>(new RemoteSide(std::move(options), std::move(*client)));
}

}  // namespace berth::replication
