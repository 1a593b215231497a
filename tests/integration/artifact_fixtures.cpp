#include "artifact_fixtures.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <regex>

#include "harbor_api.h"
#include "test_archives.h"

namespace berth::integration {
namespace {

constexpr std::string_view kSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";
constexpr std::string_view kCosignArtifactSig = "application/vnd.dev.cosign.artifact.sig.v1+json";
constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
// The Accept header of Helm's pulls (oras-go's default manifest media types).
constexpr const char* kHelmAccept =
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.oci.artifact.manifest.v1+json";

std::string json_string(std::string_view text) {
  return boost::json::serialize(boost::json::value(boost::json::string_view(text.data(), text.size())));
}

}  // namespace

std::string artifact_api_path(std::string_view repository, std::string_view reference) {
  const auto slash = repository.find('/');
  std::string out =
      repository_api_path(repository.substr(0, slash), repository.substr(slash + 1)) + "/artifacts";
  if (!reference.empty()) out += "/" + std::string(reference);
  return out;
}

Image make_image_with_config(std::string config, std::string_view config_type,
                             const std::map<std::string, std::string>& config_annotations) {
  Image image;
  image.config = make_blob(std::move(config));
  image.layers.push_back(random_blob(128));
  image.media_type = kOciManifest;
  ManifestSpec spec;
  spec.config = describe(image.config, config_type);
  spec.config.annotations = config_annotations;
  spec.layers = {describe(image.layers[0], kOciLayer)};
  set_manifest(image, render(spec));
  return image;
}

// ---- Helm --------------------------------------------------------------------------------

void HelmChart::rebuild() {
  ManifestSpec spec;
  spec.config = describe(config, kHelmConfig);
  spec.layers = {describe(chart, kHelmChart)};
  spec.annotations = {{"org.opencontainers.image.title", "chart"}, {"org.opencontainers.image.version", "v"}};
  manifest = render(spec);
  digest = sha256_digest(manifest);
}

HelmChart make_helm_chart(const std::string& name, const std::string& version) {
  HelmChart chart;
  chart.chart_yaml = "apiVersion: v2\nname: " + name + "\nversion: " + version +
                     "\ndescription: A chart for tests\ntype: application\nappVersion: \"1.2.3\"\n"
                     "dependencies:\n  - name: redis\n    version: \"17.x\"\n"
                     "    repository: oci://registry.example/charts\n    enabled: true\n";
  chart.values = "replicaCount: 2\nimage:\n  repository: example/app\n  tag: \"1.2.3\"\n";
  chart.readme = "# " + name + "\n\nInstall it with `helm install`.\n";
  chart.chart = make_blob(gzip_of(
      tar_of({TarEntry(name + "/Chart.yaml", chart.chart_yaml), TarEntry(name + "/values.yaml", chart.values),
              TarEntry(name + "/README.md", chart.readme),
              TarEntry(name + "/templates/deployment.yaml", "kind: Deployment\n")})));
  chart.config = make_blob(R"({"name":")" + name + R"(","version":")" + version +
                           R"(","description":"A chart for tests","apiVersion":"v2","appVersion":"1.2.3",)"
                           R"("type":"application","dependencies":[{"name":"redis","version":"17.x",)"
                           R"("repository":"oci://registry.example/charts","enabled":true}]})");
  chart.rebuild();
  return chart;
}

bool push_chart(HttpClient& client, std::string_view repo, std::string_view tag, const HelmChart& chart) {
  bool ok = true;
  for (const Blob* blob : {&chart.config, &chart.chart}) {
    Response r = push_blob(client, repo, *blob);
    EXPECT_EQ(r.status, 201) << r;
    ok = ok && r.status == 201;
  }
  Response r = push_manifest(client, repo, tag, chart.manifest, kOciManifest);
  EXPECT_EQ(r.status, 201) << r;
  return ok && r.status == 201;
}

HelmClient::HelmClient(HttpClient& anonymous, std::string user, std::string password)
    : http_(anonymous), user_(std::move(user)), password_(std::move(password)) {}

Response HelmClient::send(const std::string& method, const std::string& target, const std::string& body,
                          HeaderList headers) {
  auto attempt = [&] {
    HeaderList all = headers;
    all.emplace_back("User-Agent", "Helm/3.14.2");
    if (!token_.empty()) all.emplace_back("Authorization", "Bearer " + token_);
    const bool bodyless = method == "GET" || method == "HEAD";
    return http_.send(
        Request(method, target, all, bodyless ? std::nullopt : std::optional<std::string>(body)));
  };
  Response response = attempt();
  const std::string challenge = response.header("WWW-Authenticate");
  if (response.status != 401 || !challenge.starts_with("Bearer ")) return response;
  std::map<std::string, std::string> params;
  static const std::regex parameter("([A-Za-z_]+)=\"([^\"]*)\"");
  for (std::sregex_iterator it(challenge.begin(), challenge.end(), parameter), end; it != end; ++it)
    params[(*it)[1].str()] = (*it)[2].str();
  std::string url = with_query(params["realm"], "service", params["service"]);
  if (!params["scope"].empty()) url = with_query(url, "scope", params["scope"]);
  Response issued = http_.get(url, {{"Authorization", "Basic " + base64_encode(user_ + ":" + password_)}});
  if (issued.status != 200) return issued;
  token_ = text_of(json_of(issued), "token");
  return attempt();
}

::testing::AssertionResult HelmClient::login() {
  Response r = send("GET", "/v2/", "", {});
  if (r.status != 200) return ::testing::AssertionFailure() << "GET /v2/: " << r;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HelmClient::push(std::string_view repo, std::string_view tag,
                                            const HelmChart& chart) {
  for (const Blob* blob : {&chart.config, &chart.chart}) {
    Response head = send("HEAD", blob_path(repo, blob->digest), "", {});
    if (head.status == 200) continue;
    if (head.status != 404) return ::testing::AssertionFailure() << "HEAD blob: " << head;
    Response started = send("POST", uploads_path(repo), "", {});
    if (started.status != 202) return ::testing::AssertionFailure() << "POST upload: " << started;
    Response put = send("PUT", with_query(started.header("Location"), "digest", blob->digest), blob->data,
                        {{"Content-Type", "application/octet-stream"}});
    if (put.status != 201) return ::testing::AssertionFailure() << "PUT blob: " << put;
  }
  Response put =
      send("PUT", manifest_path(repo, tag), chart.manifest, {{"Content-Type", std::string(kOciManifest)}});
  if (put.status != 201) return ::testing::AssertionFailure() << "PUT manifest: " << put;
  if (put.header("Docker-Content-Digest") != chart.digest)
    return ::testing::AssertionFailure() << "the manifest digest: " << put;
  return ::testing::AssertionSuccess();
}

std::optional<HelmClient::Pulled> HelmClient::pull(std::string_view repo, std::string_view tag) {
  Pulled out;
  Response manifest = send("GET", manifest_path(repo, tag), "", {{"Accept", kHelmAccept}});
  EXPECT_EQ(manifest.status, 200) << manifest;
  if (manifest.status != 200) return std::nullopt;
  EXPECT_EQ(manifest.header("Content-Type"), kOciManifest);
  out.manifest = manifest.body;
  auto parsed = parse_json(manifest.body);
  if (!parsed) return std::nullopt;
  Response config = send("GET", blob_path(repo, text_of(parsed->at("config"), "digest")), "", {});
  Response chart =
      send("GET", blob_path(repo, text_of(parsed->at("layers").as_array().at(0), "digest")), "", {});
  EXPECT_EQ(config.status, 200) << config;
  EXPECT_EQ(chart.status, 200) << chart;
  if (config.status != 200 || chart.status != 200) return std::nullopt;
  out.config = config.body;
  out.chart = chart.body;
  return out;
}

// ---- cosign --------------------------------------------------------------------------------

std::string cosign_tag(std::string_view digest) {
  std::string tag(digest);
  tag[tag.find(':')] = '-';
  return tag + ".sig";
}

struct Signer::Key {
  EVP_PKEY* pkey = nullptr;
  bool ed25519 = false;
  ~Key() { EVP_PKEY_free(pkey); }
};

Signer::Signer(std::unique_ptr<Key> key) : key_(std::move(key)) {}
Signer::~Signer() = default;
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;

Signer Signer::ecdsa() {
  auto key = std::make_unique<Key>();
  key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return Signer(std::move(key));
}

Signer Signer::ed25519() {
  auto key = std::make_unique<Key>();
  key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  key->ed25519 = true;
  return Signer(std::move(key));
}

std::string Signer::public_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key_->pkey);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string Signer::payload(std::string_view repo, std::string_view digest) const {
  return R"({"critical":{"identity":{"docker-reference":)" + json_string(repo) +
         R"(},"image":{"docker-manifest-digest":)" + json_string(digest) +
         R"(},"type":"cosign container image signature"},"optional":null})";
}

std::string Signer::sign(std::string_view payload) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const auto* data = reinterpret_cast<const unsigned char*>(payload.data());
  std::size_t size = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, key_->ed25519 ? nullptr : EVP_sha256(), nullptr, key_->pkey) !=
          1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, data, payload.size()) != 1)
    return {};
  std::string out(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size, data, payload.size()) !=
      1)
    return {};
  out.resize(size);
  return out;
}

Image Signer::signature_artifact(const std::string& payload, const std::string& signature,
                                 const std::optional<Descriptor>& subject) {
  Image image;
  image.layers.push_back(make_blob(payload));
  image.media_type = kOciManifest;
  ManifestSpec spec;
  Descriptor layer = describe(image.layers[0], kSimpleSigning);
  layer.annotations[std::string(kSignatureAnnotation)] = base64_encode(signature);
  spec.layers = {layer};
  if (subject) {
    image.config = make_blob("{}");
    spec.config = describe(image.config, kCosignArtifactSig);
    spec.subject = subject;
  } else {
    image.config =
        make_blob(R"({"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","history":[{"created":)"
                  R"("0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[")" +
                  sha256_digest(payload) + R"("]}})");
    spec.config = describe(image.config, kOciConfig);
  }
  set_manifest(image, render(spec));
  return image;
}

Image Signer::tag_scheme_signature(std::string_view repo, std::string_view digest) const {
  const std::string text = payload(repo, digest);
  return signature_artifact(text, sign(text), std::nullopt);
}

Image Signer::referrer_signature(std::string_view repo, const Image& subject) const {
  const std::string text = payload(repo, subject.digest);
  return signature_artifact(text, sign(text), subject.descriptor());
}

Image make_sbom_referrer(const Image& subject) {
  Image image;
  image.config = make_blob("{}");
  image.layers.push_back(
      make_blob(R"({"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:)" + random_hex(32) +
                R"("})"));
  image.media_type = kOciManifest;
  ManifestSpec spec;
  spec.artifact_type = "application/vnd.goharbor.harbor.sbom.v1";
  spec.config = describe(image.config, kOciEmpty);
  spec.layers = {describe(image.layers[0], "application/vnd.cyclonedx+json")};
  spec.subject = subject.descriptor();
  set_manifest(image, render(spec));
  return image;
}

}  // namespace berth::integration
