// remote::RegistryClient: a client of another registry's OCI distribution API (/v2), for
// replication, proxy caching and pulling images to scan.
//
// Authentication follows the distribution spec: a request goes out with what worked last for
// its repository; on a 401 the client answers the challenge (a Bearer token fetched from the
// realm with the credentials, for every scope the challenge names, or Basic credentials) and
// retries once. Tokens are kept per repository. Errors, for every call: unavailable
// (network, 5xx, 429), invalid_argument (credentials refused: 401/403; a bad URL), not_found,
// cancelled (the stop token), corrupt (content whose digest does not match).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "remote/http.h"

namespace berth::remote {

struct Endpoint {
  std::string url;  // "https://registry.example.com[:port]" (a trailing '/' is ignored)
  std::string username;
  std::string password;
  // An Authorization value sent as it is (and to the token realm) instead of username/password.
  std::string authorization;
  bool insecure = false;  // do not verify the server's TLS certificate
};

struct ClientOptions {
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds request_timeout{60};  // small answers: manifests, tokens, listings
  std::chrono::seconds stall_timeout{120};   // a blob transfer without progress this long fails
  std::stop_token stop;
};

// A manifest as a registry serves it.
struct RemoteManifest {
  std::string bytes;
  std::string media_type;  // the Content-Type, or the mediaType inside
  std::string digest;      // of the bytes (checked against a digest reference)
};

// What a HEAD of a manifest tells.
struct ManifestHead {
  std::string digest;  // Docker-Content-Digest ("" when the registry sends none)
  std::string media_type;
  std::int64_t size = -1;
};

// A blob upload session at the registry.
struct UploadSession {
  std::string location;      // absolute URL of the session
  bool mounted = false;      // a cross-repository mount succeeded: nothing to upload
  std::uint64_t offset = 0;  // bytes the registry holds
};

// The "Bearer" challenge of a 401.
struct BearerChallenge {
  std::string realm;
  std::string service;
  std::string scope;  // space-separated scopes, as sent
};
std::optional<BearerChallenge> parse_bearer_challenge(std::string_view header);

// Accept header value listing OCI and Docker manifests and indexes.
std::string manifest_accept();

class RegistryClient {
 public:
  // Errors: invalid_argument (the URL is not http(s)://host[:port][/path]).
  static base::Result<RegistryClient> open(Endpoint endpoint, ClientOptions options = {});
  RegistryClient(RegistryClient&&) noexcept;
  RegistryClient& operator=(RegistryClient&&) noexcept;
  ~RegistryClient();

  const std::string& base_url() const { return base_; }

  // GET /v2/ answered 200 (with the credentials, when given). Errors: as above.
  base::Status ping();
  // Every repository (/v2/_catalog, following its pages), in the registry's order.
  base::Result<std::vector<std::string>> catalog();
  // Every tag of a repository (/v2/<repo>/tags/list, following its pages); a repository the
  // registry does not know has none.
  base::Result<std::vector<std::string>> tags(const std::string& repository);

  // nullopt when the registry has no such manifest.
  base::Result<std::optional<ManifestHead>> head_manifest(const std::string& repository,
                                                          const std::string& reference);
  base::Result<RemoteManifest> get_manifest(const std::string& repository, const std::string& reference);
  // PUT of a manifest under a tag or its digest.
  base::Status put_manifest(const std::string& repository, const std::string& reference,
                            std::string_view bytes, const std::string& media_type);
  base::Status delete_manifest(const std::string& repository, const std::string& reference);
  // The referrers index of `digest` (OCI 1.1 referrers API), as JSON text; "" where the
  // registry does not answer that API.
  base::Result<std::string> referrers(const std::string& repository, const std::string& digest);

  // True when the registry holds the blob in `repository`.
  base::Result<bool> has_blob(const std::string& repository, const std::string& digest);
  // `length` bytes of a blob from `offset` (a Range request); fewer at its end.
  base::Result<std::string> read_blob(const std::string& repository, const std::string& digest,
                                      std::uint64_t offset, std::uint64_t length);
  // The whole blob into `sink`, as it arrives (following redirects to storage).
  base::Status stream_blob(const std::string& repository, const std::string& digest, const BodySink& sink);

  // Starts an upload; with `mount_from`, asks to mount `digest` from that repository first.
  base::Result<UploadSession> start_upload(const std::string& repository, const std::string& digest = {},
                                           const std::string& mount_from = {});
  // How many bytes an upload session holds now (after a broken transfer).
  base::Result<UploadSession> upload_status(const std::string& repository, const UploadSession& session);
  // Appends `data` at the session's offset (PATCH); the session moves on.
  base::Status upload_chunk(const std::string& repository, UploadSession& session, std::string_view data);
  // Completes the upload as blob `digest`, sending `last` with it (PUT).
  base::Status finish_upload(const std::string& repository, const UploadSession& session,
                             const std::string& digest, std::string_view last = {});

 private:
  RegistryClient(std::string base, Endpoint endpoint, ClientOptions options);

  struct Request {
    std::string method = "GET";
    std::string url;  // absolute
    std::vector<std::string> headers;
    std::string_view body;
    std::string repository;  // whose token to use ("" = the registry's)
    bool blob = false;       // a blob transfer: no overall timeout, the stall timeout
    std::size_t max_response_bytes = 16 << 20;
    BodySink sink;
  };
  // Sends `request`, answering one authentication challenge.
  base::Result<HttpReply> send(const Request& request);
  base::Result<std::string> fetch_token(const BearerChallenge& challenge);
  std::string url_for(std::string_view path) const;
  std::string resolve(const std::string& location) const;

  std::string base_;
  Endpoint endpoint_;
  ClientOptions options_;
  std::unique_ptr<Connection> connection_;
  std::string basic_;                                       // "Basic ..." from username/password
  bool use_basic_ = false;                                  // the registry asked for Basic
  std::map<std::string, std::string, std::less<>> tokens_;  // "Bearer ..." by repository
};

}  // namespace berth::remote
