// Artifacts that are not plain images, for the artifact-model and signature-policy tests: images
// with a given config, Helm charts (and a client that speaks to the registry as Helm 3.8+ does),
// cosign signatures made here with OpenSSL in cosign's formats (tag scheme and OCI 1.1
// referrers), and SBOM referrers as Berth makes them.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http_client.h"
#include "oci_content.h"

namespace berth::integration {

// "/api/v2.0/projects/<p>/repositories/<r>/artifacts[/<reference>]" for repository "<p>/<r>".
std::string artifact_api_path(std::string_view repository, std::string_view reference);

// A one-layer OCI image whose config is `config` of `config_type`, with `config_annotations`
// on the config descriptor.
Image make_image_with_config(std::string config, std::string_view config_type = kOciConfig,
                             const std::map<std::string, std::string>& config_annotations = {});

// A Helm chart as `helm package` and `helm push` make it: Chart.yaml (apiVersion v2, one
// dependency), values.yaml and README.md in "<name>/", gzip'ed tar; the config is Chart.yaml
// as JSON; the manifest an OCI image manifest with Helm's media types and annotations.
struct HelmChart {
  std::string chart_yaml;
  std::string values;
  std::string readme;
  Blob config;
  Blob chart;
  std::string manifest;
  std::string digest;
  // Renders manifest and digest again after `config` or `chart` changed.
  void rebuild();
};
HelmChart make_helm_chart(const std::string& name, const std::string& version);
// Pushes a chart's blobs and manifest (under `tag`) with `client`'s own credentials.
bool push_chart(HttpClient& client, std::string_view repo, std::string_view tag, const HelmChart& chart);

// The requests Helm 3.8+ makes (through oras-go): every request first goes out with the
// token it holds; a 401 Bearer challenge gets a token for the challenge's scope from its
// realm with basic credentials, and the request is sent again.
class HelmClient {
 public:
  // `anonymous` must carry no credentials of its own.
  HelmClient(HttpClient& anonymous, std::string user, std::string password);
  // helm registry login: GET /v2/ until it answers 200.
  ::testing::AssertionResult login();
  // helm push: HEAD each blob, upload the missing ones (POST, PUT ?digest=), PUT the manifest.
  ::testing::AssertionResult push(std::string_view repo, std::string_view tag, const HelmChart& chart);
  struct Pulled {
    std::string manifest;
    std::string config;
    std::string chart;
  };
  // helm pull: GET the manifest with Helm's Accept list, then the config and the chart layer.
  std::optional<Pulled> pull(std::string_view repo, std::string_view tag);

 private:
  Response send(const std::string& method, const std::string& target, const std::string& body,
                HeaderList headers);
  HttpClient& http_;
  std::string user_;
  std::string password_;
  std::string token_;
};

// cosign's tag for the signatures of `digest`: "sha256-<hex>.sig".
std::string cosign_tag(std::string_view digest);

// A cosign key pair and the signature artifacts cosign makes with it.
class Signer {
 public:
  static Signer ecdsa();    // ECDSA P-256, cosign's default
  static Signer ed25519();  // Ed25519
  ~Signer();
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;

  std::string public_pem() const;
  // The simple-signing payload naming `digest` in `repo`, and its raw signature.
  std::string payload(std::string_view repo, std::string_view digest) const;
  std::string sign(std::string_view payload) const;
  // cosign sign's artifact in the tag scheme: an OCI manifest with an image config and the
  // payload layer annotated with its base64 signature (push it under cosign_tag(digest)).
  Image tag_scheme_signature(std::string_view repo, std::string_view digest) const;
  // The same in OCI 1.1 referrer form (config application/vnd.dev.cosign.artifact.sig.v1+json,
  // subject = the signed manifest; push it by digest).
  Image referrer_signature(std::string_view repo, const Image& subject) const;
  // A signature artifact whose layer is `payload` with the signature `signature` (for forgeries).
  static Image signature_artifact(const std::string& payload, const std::string& signature,
                                  const std::optional<Descriptor>& subject);

 private:
  struct Key;
  explicit Signer(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// An SBOM referrer of `subject` as Berth's scanner makes one (artifactType
// application/vnd.goharbor.harbor.sbom.v1, one JSON layer).
Image make_sbom_referrer(const Image& subject);

}  // namespace berth::integration
