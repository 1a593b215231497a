// End-to-end security tests of Berth's access model against the real binary: the Docker
// token flow and what a token may do, forged and altered tokens, anonymous access,
// project roles, robot accounts, revocation, failed-login lockout, secrets kept out of
// logs and answers, IP allowlists, the catalog, the admin CLI and the first start.
// Every test is written so that it fails when the rule it names is broken; the forging
// tests first show that a correctly made token IS accepted, so that the refusals count.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kService = "berth-registry";
constexpr const char* kIssuer = "berth-token-issuer";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1))
    ++count;
  return count;
}

// ---- base64url and JWTs ---------------------------------------------------------------

std::string base64url_encode(std::string_view data) {
  std::string out = base64_encode(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string padded(text);
  for (char& c : padded) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::size_t pad = 0;
  while (padded.size() % 4 != 0) {
    padded.push_back('=');
    ++pad;
  }
  std::string out(padded.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(padded.data()), static_cast<int>(padded.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// The three dot-separated parts of a compact JWS (empty when it has not three).
std::vector<std::string> token_parts(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 3) parts.clear();
  return parts;
}

// The decoded JSON object of part `index` (0 header, 1 claims) of a token.
json::object token_part(const std::string& token, std::size_t index) {
  const auto parts = token_parts(token);
  if (parts.empty()) return {};
  const auto text = base64url_decode(parts[index]);
  const auto value = text ? parse_json(*text) : std::nullopt;
  return value && value->is_object() ? value->as_object() : json::object{};
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate_p256() {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

Pkey load_private_key(const fs::path& pem) {
  const std::string text = read_text(pem);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())),
                                                BIO_free);
  return Pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

// ES256 as JWS wants it: ECDSA P-256 over SHA-256, R || S in 32 bytes each.
std::string es256_sign(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) != 1)
    return {};
  std::vector<unsigned char> der(length);
  if (EVP_DigestSign(ctx.get(), der.data(), &length, data, input.size()) != 1) return {};
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length)), ECDSA_SIG_free);
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) return {};
  return raw;
}

std::string unsigned_token(const json::object& header, const json::object& claims) {
  return base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));
}

std::string signed_token(EVP_PKEY* key, const json::object& header, const json::object& claims) {
  const std::string input = unsigned_token(header, claims);
  return input + "." + base64url_encode(es256_sign(key, input));
}

// Claims as Berth's tokens carry them: admin, allowed `actions` on `repository`.
json::object claims_for(const std::string& repository, std::initializer_list<const char*> actions) {
  json::array granted;
  for (const char* action : actions) granted.emplace_back(action);
  const std::int64_t now = unix_now();
  return json::object{{"iss", kIssuer},
                      {"sub", "admin"},
                      {"aud", kService},
                      {"exp", now + 300},
                      {"nbf", now},
                      {"iat", now},
                      {"jti", random_hex(16)},
                      {"access", json::array{json::object{
                                     {"type", "repository"}, {"name", repository}, {"actions", granted}}}}};
}

// The newest signing key in <data>/keys (token-<seq>-<kid>.pem, highest seq) and its kid.
struct ServerKey {
  fs::path file;
  std::string kid;
};
std::optional<ServerKey> newest_server_key(const fs::path& data_dir) {
  std::optional<ServerKey> newest;
  unsigned long long newest_seq = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir / "keys", ec)) {
    const std::string name = entry.path().filename().string();
    static const std::regex pattern("token-([0-9]+)-([0-9a-f]+)\\.pem");
    std::smatch match;
    if (!std::regex_match(name, match, pattern)) continue;
    const unsigned long long seq = std::stoull(match[1].str());
    if (!newest || seq > newest_seq) {
      newest = ServerKey{entry.path(), match[2].str()};
      newest_seq = seq;
    }
  }
  return newest;
}

std::size_t key_file_count(const fs::path& data_dir) {
  std::size_t count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir / "keys", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("token-") && name.ends_with(".pem")) ++count;
  }
  return count;
}

// ---- the token flow as a client does it -------------------------------------------------

// The parameters of a `WWW-Authenticate: Bearer k="v",...` challenge ("scheme" = Bearer).
std::map<std::string, std::string> challenge_of(const Response& response) {
  std::map<std::string, std::string> out;
  const std::string value = response.header("WWW-Authenticate");
  const auto space = value.find(' ');
  out["scheme"] = value.substr(0, space);
  static const std::regex parameter("([A-Za-z_]+)=\"([^\"]*)\"");
  for (std::sregex_iterator it(value.begin(), value.end(), parameter), end; it != end; ++it)
    out[(*it)[1].str()] = (*it)[2].str();
  return out;
}

// GET /service/token?service=berth-registry&scope=... (one scope parameter per entry).
Response request_token(HttpClient& client, const std::vector<std::string>& scopes,
                       const HeaderList& headers = {}) {
  std::string url = with_query("/service/token", "service", kService);
  for (const auto& scope : scopes) url = with_query(url, "scope", scope);
  return client.get(url, headers);
}

std::string token_of(const Response& response) {
  return text_of(json_of(response), "token");
}

HeaderList bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string push_scope(const std::string& repository) {
  return "repository:" + repository + ":pull,push";
}
std::string pull_scope(const std::string& repository) {
  return "repository:" + repository + ":pull";
}

// The actions a token grants on `repository` (from its unverified claims).
std::vector<std::string> granted_actions(const std::string& token, const std::string& repository) {
  std::vector<std::string> out;
  const json::object claims = token_part(token, 1);
  const json::value* access = claims.if_contains("access");
  if (access == nullptr || !access->is_array()) return out;
  for (const auto& entry : access->as_array()) {
    if (text_of(entry, "type") != "repository" || text_of(entry, "name") != repository) continue;
    for (const auto& action : entry.at("actions").as_array()) out.emplace_back(action.as_string());
  }
  return out;
}

Response pull_manifest(HttpClient& client, const std::string& repository, const std::string& reference,
                       HeaderList headers = {}) {
  headers.emplace_back("Accept", kAcceptAnyManifest);
  return client.get(manifest_path(repository, reference), headers);
}

// The requests of a push (blobs: POST + PUT ?digest=; then the manifest), each carrying
// `auth`. Returns the first answer that is not a success, else the manifest PUT's.
Response push_with(HttpClient& client, const std::string& repository, const std::string& tag,
                   const Image& image, const HeaderList& auth) {
  std::vector<const Blob*> blobs{&image.config};
  for (const auto& layer : image.layers) blobs.push_back(&layer);
  for (const Blob* blob : blobs) {
    Response started = client.post(uploads_path(repository), "", auth);
    if (started.status != 202) return started;
    HeaderList headers = auth;
    headers.emplace_back("Content-Type", "application/octet-stream");
    Response put =
        client.put(with_query(started.header("Location"), "digest", blob->digest), blob->data, headers);
    if (put.status != 201) return put;
  }
  HeaderList headers = auth;
  headers.emplace_back("Content-Type", image.media_type);
  return client.put(manifest_path(repository, tag), image.manifest, headers);
}

bool refused(long status) {
  return status == 401 || status == 403;
}

// ---- tests on a shared Berth (one per suite) ---------------------------------------------

// Failed logins here stay below the lockout threshold (5 from 127.0.0.1), whether or not
// a success resets the count; the lockout itself is tested on a Berth of its own.
class AuthRegistryTest : public HarborApiTest {
 protected:
  std::unique_ptr<HttpClient> anonymous() { return client_as("", ""); }

  // A token from /service/token as `as` (admin when null) for `scopes`; expects 200.
  std::string token(const std::vector<std::string>& scopes, HttpClient* as = nullptr) {
    Response r = request_token(as == nullptr ? client() : *as, scopes);
    EXPECT_EQ(r.status, 200) << r;
    return token_of(r);
  }

  // A new private (or public) project with an image pushed by admin as <project>/app:v1.
  std::string project_with_image(bool is_public = false) {
    const std::string project = unique_name("p");
    EXPECT_GT(create_project(project, is_public), 0);
    EXPECT_TRUE(push_image(client(), project + "/app", "v1", image_));
    return project;
  }

  // POST /projects/{p}/members as admin; returns the member id (0 on failure).
  std::int64_t add_member_id(const std::string& project, const std::string& user, HarborRole role) {
    json::object body{{"role_id", static_cast<int>(role)}, {"member_user", {{"username", user}}}};
    Response added = client().post(std::string(kApi) + "/projects/" + project + "/members",
                                   json::serialize(body), {{"Content-Type", "application/json"}});
    EXPECT_EQ(added.status, 201) << added;
    const std::string location = added.header("Location");
    const auto slash = location.rfind('/');
    return slash == std::string::npos ? 0 : std::stoll(location.substr(slash + 1));
  }

  struct Robot {
    std::int64_t id = 0;
    std::string name;
    std::string secret;
  };
  Robot pull_robot(const std::string& project, const std::string& name) {
    Response r = create_robot(name, "project", project, {{"repository", "pull"}});
    EXPECT_EQ(r.status, 201) << r;
    json::value body = json_of(r);
    return Robot{int_of(body, "id").value_or(0), text_of(body, "name"), text_of(body, "secret")};
  }

  Image image_ = make_image();
};

TEST_F(AuthRegistryTest, TokenFlowChallengeTokenShapeAndScopeLimit) {
  auto anon = anonymous();
  Response base = anon->get("/v2/");
  EXPECT_TRUE(IsOciError(base, 401, {"UNAUTHORIZED"}));
  auto challenge = challenge_of(base);
  EXPECT_EQ(challenge["scheme"], "Bearer") << base;
  EXPECT_EQ(challenge["realm"], registry().url() + "/service/token") << base;
  EXPECT_EQ(challenge["service"], kService) << base;

  // As a client does it: the realm from the challenge, admin's basic credentials.
  const std::string repo = unique_repo("x");
  HttpClient& admin = client();
  std::string url =
      with_query(with_query(challenge["realm"], "service", challenge["service"]), "scope", push_scope(repo));
  Response issued = admin.get(url);
  ASSERT_EQ(issued.status, 200) << issued;
  const json::value body = json_of(issued);
  const std::string token = text_of(body, "token");
  EXPECT_EQ(token_parts(token).size(), 3u) << issued;
  EXPECT_EQ(text_of(body, "access_token"), token);
  EXPECT_GT(int_of(body, "expires_in").value_or(0), 0) << issued;
  EXPECT_TRUE(
      std::regex_match(text_of(body, "issued_at"),
                       std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z")))
      << issued;
  const json::object header = token_part(token, 0);
  EXPECT_EQ(text_of(header, "alg"), "ES256");
  const json::object claims = token_part(token, 1);
  EXPECT_EQ(text_of(claims, "iss"), kIssuer);
  EXPECT_EQ(text_of(claims, "aud"), kService);
  EXPECT_EQ(text_of(claims, "sub"), "admin");
  EXPECT_EQ(granted_actions(token, repo), (std::vector<std::string>{"pull", "push"}));

  // The token alone (no basic auth) pushes and pulls on its repository.
  Response pushed = push_with(*anon, repo, "v1", image_, bearer(token));
  EXPECT_EQ(pushed.status, 201) << pushed;
  EXPECT_EQ(pull_manifest(*anon, repo, "v1", bearer(token)).status, 200);
  EXPECT_EQ(anon->get(blob_path(repo, image_.layers[0].digest), bearer(token)).status, 200);
  EXPECT_EQ(anon->get("/v2/", bearer(token)).status, 200);

  // ... and nothing else, even where admin could: a challenge naming the needed scope.
  const std::string other = unique_repo("y");
  ASSERT_TRUE(push_image(client(), other, "v1", image_));
  Response pull_other = pull_manifest(*anon, other, "v1", bearer(token));
  EXPECT_TRUE(IsOciError(pull_other, 401, {"UNAUTHORIZED"}));
  EXPECT_EQ(challenge_of(pull_other)["scope"], pull_scope(other)) << pull_other;
  EXPECT_EQ(challenge_of(pull_other)["realm"], registry().url() + "/service/token");
  Response push_other = anon->post(uploads_path(other), "", bearer(token));
  EXPECT_TRUE(IsOciError(push_other, 401, {"UNAUTHORIZED"}));
  EXPECT_EQ(challenge_of(push_other)["scope"], push_scope(other)) << push_other;
  // Nor a delete on its own repository, which it was not issued for.
  EXPECT_EQ(anon->del(manifest_path(repo, image_.digest), bearer(token)).status, 401);
}

TEST_F(AuthRegistryTest, AlteredOrForeignSignedTokensAreRefused) {
  const std::string repo = unique_repo();
  ASSERT_TRUE(push_image(client(), repo, "v1", image_));
  auto anon = anonymous();
  const std::string pull_only = token({pull_scope(repo)});
  ASSERT_EQ(granted_actions(pull_only, repo), std::vector<std::string>{"pull"});
  ASSERT_EQ(pull_manifest(*anon, repo, "v1", bearer(pull_only)).status, 200);
  const auto parts = token_parts(pull_only);
  ASSERT_EQ(parts.size(), 3u);
  const json::object header = token_part(pull_only, 0);

  auto is_invalid_token = [&](const Response& r) -> ::testing::AssertionResult {
    if (r.status != 401) return ::testing::AssertionFailure() << describe(r);
    if (challenge_of(r)["error"] != "invalid_token") return ::testing::AssertionFailure() << describe(r);
    return ::testing::AssertionSuccess();
  };

  // The payload widened to push (re-encoded), the server's signature kept.
  json::object widened = token_part(pull_only, 1);
  widened["access"] = json::array{
      json::object{{"type", "repository"}, {"name", repo}, {"actions", json::array{"pull", "push"}}}};
  const std::string altered = parts[0] + "." + base64url_encode(json::serialize(widened)) + "." + parts[2];
  EXPECT_TRUE(is_invalid_token(anon->post(uploads_path(repo), "", bearer(altered))));
  EXPECT_TRUE(is_invalid_token(pull_manifest(*anon, repo, "v1", bearer(altered))));

  // Signed by another P-256 key, under the server's kid and under the key's own.
  Pkey foreign = generate_p256();
  ASSERT_TRUE(foreign);
  const std::string forged = signed_token(foreign.get(), header, widened);
  ASSERT_EQ(token_parts(forged)[2].size(), 86u);  // a well-formed 64-byte signature
  EXPECT_TRUE(is_invalid_token(anon->post(uploads_path(repo), "", bearer(forged))));
  EXPECT_TRUE(is_invalid_token(pull_manifest(*anon, repo, "v1", bearer(forged))));
  json::object own_kid = header;
  own_kid["kid"] = random_hex(16);
  EXPECT_TRUE(is_invalid_token(
      pull_manifest(*anon, repo, "v1", bearer(signed_token(foreign.get(), own_kid, widened)))));

  // alg "none" with an empty signature, with and without the kid.
  json::object none{{"typ", "JWT"}, {"alg", "none"}};
  EXPECT_TRUE(
      is_invalid_token(pull_manifest(*anon, repo, "v1", bearer(unsigned_token(none, widened) + "."))));
  none["kid"] = header.at("kid");
  EXPECT_TRUE(
      is_invalid_token(pull_manifest(*anon, repo, "v1", bearer(unsigned_token(none, widened) + "."))));
  EXPECT_TRUE(
      is_invalid_token(anon->post(uploads_path(repo), "", bearer(unsigned_token(none, widened) + "."))));
  // The server's signature moved onto a token without one of its parts.
  EXPECT_TRUE(is_invalid_token(pull_manifest(*anon, repo, "v1", bearer(parts[0] + "." + parts[1]))));
}

TEST_F(AuthRegistryTest, TokensSignedWithTheRealKeyNeedRightAudienceIssuerAndExpiry) {
  const std::string repo = unique_repo();
  ASSERT_TRUE(push_image(client(), repo, "v1", image_));
  auto key_file = newest_server_key(registry().data_dir());
  ASSERT_TRUE(key_file) << "no token-*.pem in " << (registry().data_dir() / "keys");
  // It is the key the server signs with now.
  ASSERT_EQ(text_of(token_part(token({pull_scope(repo)}), 0), "kid"), key_file->kid);
  Pkey key = load_private_key(key_file->file);
  ASSERT_TRUE(key) << key_file->file;
  const json::object header{{"typ", "JWT"}, {"alg", "ES256"}, {"kid", key_file->kid}};
  auto anon = anonymous();

  // The control: made here with the right claims, accepted for what it lists.
  const json::object good = claims_for(repo, {"pull", "push"});
  const std::string accepted = signed_token(key.get(), header, good);
  EXPECT_EQ(pull_manifest(*anon, repo, "v1", bearer(accepted)).status, 200);
  EXPECT_EQ(anon->post(uploads_path(repo), "", bearer(accepted)).status, 202);

  auto refused_with = [&](const char* claim, json::value value) {
    json::object claims = claims_for(repo, {"pull", "push"});
    claims[claim] = std::move(value);
    const std::string forged = signed_token(key.get(), header, claims);
    Response pull = pull_manifest(*anon, repo, "v1", bearer(forged));
    EXPECT_EQ(pull.status, 401) << claim << ": " << pull;
    EXPECT_EQ(challenge_of(pull)["error"], "invalid_token") << claim << ": " << pull;
    EXPECT_EQ(anon->post(uploads_path(repo), "", bearer(forged)).status, 401) << claim;
  };
  refused_with("aud", json::value("another-registry"));
  refused_with("aud", json::value(json::array{"another-registry"}));
  refused_with("iss", json::value("someone-else"));
  refused_with("exp", json::value(unix_now() - 120));  // beyond any leeway
  refused_with("nbf", json::value(unix_now() + 3600));
  json::object without_exp = claims_for(repo, {"pull"});
  without_exp.erase("exp");
  EXPECT_EQ(pull_manifest(*anon, repo, "v1", bearer(signed_token(key.get(), header, without_exp))).status,
            401);
}

TEST_F(AuthRegistryTest, AnonymousPullsOnlyFromPublicProjectsAndNeverPushes) {
  const std::string open = project_with_image(true);
  const std::string closed = project_with_image(false);
  const std::string open_repo = open + "/app";
  const std::string closed_repo = closed + "/app";
  auto anon = anonymous();

  // Private: refused with a challenge; an anonymous token grants nothing there.
  Response denied = pull_manifest(*anon, closed_repo, "v1");
  EXPECT_TRUE(IsOciError(denied, 401, {"UNAUTHORIZED"}));
  EXPECT_EQ(challenge_of(denied)["scope"], pull_scope(closed_repo)) << denied;
  const std::string closed_token = token({pull_scope(closed_repo)}, anon.get());
  EXPECT_TRUE(granted_actions(closed_token, closed_repo).empty()) << closed_token;
  EXPECT_EQ(pull_manifest(*anon, closed_repo, "v1", bearer(closed_token)).status, 401);
  EXPECT_EQ(anon->get(blob_path(closed_repo, image_.layers[0].digest)).status, 401);
  // A project that does not exist looks the same to anonymous callers.
  EXPECT_EQ(pull_manifest(*anon, unique_name("nosuch") + "/app", "v1").status, 401);

  // Public, as a docker client does it: /v2/ -> 401, anonymous token, pull.
  EXPECT_EQ(anon->get("/v2/").status, 401);
  const std::string open_token = token({push_scope(open_repo)}, anon.get());
  EXPECT_EQ(granted_actions(open_token, open_repo), std::vector<std::string>{"pull"});
  EXPECT_EQ(text_of(token_part(open_token, 1), "sub"), "");
  EXPECT_EQ(pull_manifest(*anon, open_repo, "v1", bearer(open_token)).status, 200);
  EXPECT_EQ(anon->get(blob_path(open_repo, image_.layers[0].digest), bearer(open_token)).status, 200);
  // ... and with no token at all.
  EXPECT_EQ(pull_manifest(*anon, open_repo, "v1").status, 200);
  EXPECT_EQ(anon->get(blob_path(open_repo, image_.config.digest)).status, 200);

  // Pushing to the public project: refused with and without the anonymous token.
  EXPECT_EQ(anon->post(uploads_path(open_repo), "", bearer(open_token)).status, 401);
  Response push = anon->post(uploads_path(open_repo), "");
  EXPECT_TRUE(IsOciError(push, 401, {"UNAUTHORIZED"}));
  EXPECT_EQ(challenge_of(push)["scope"], push_scope(open_repo));
  Response manifest_put =
      anon->put(manifest_path(open_repo, "evil"), image_.manifest, {{"Content-Type", image_.media_type}});
  EXPECT_EQ(manifest_put.status, 401) << manifest_put;
  EXPECT_EQ(anon->del(manifest_path(open_repo, image_.digest)).status, 401);
  EXPECT_EQ(pull_manifest(client(), open_repo, "v1").status, 200);  // still there
}

TEST_F(AuthRegistryTest, GuestPullsButCannotPush) {
  const std::string project = project_with_image();
  const std::string repo = project + "/app";
  auto guest = member_client(project, HarborRole::guest);
  EXPECT_EQ(pull_manifest(*guest, repo, "v1").status, 200);
  EXPECT_TRUE(IsOciError(start_upload(*guest, repo), 403, {"DENIED"}));
  EXPECT_TRUE(
      IsOciError(push_manifest(*guest, repo, "v2", image_.manifest, image_.media_type), 403, {"DENIED"}));

  // By token: push is simply not granted.
  const std::string guest_token = token({push_scope(repo)}, guest.get());
  EXPECT_EQ(granted_actions(guest_token, repo), std::vector<std::string>{"pull"});
  auto bare = anonymous();
  EXPECT_EQ(pull_manifest(*bare, repo, "v1", bearer(guest_token)).status, 200);
  EXPECT_TRUE(refused(bare->post(uploads_path(repo), "", bearer(guest_token)).status));
  EXPECT_TRUE(refused(push_with(*bare, repo, "v2", image_, bearer(guest_token)).status));
}

TEST_F(AuthRegistryTest, DeveloperPushesButCannotDelete) {
  const std::string project = project_with_image();
  const std::string repo = project + "/app";
  auto developer = member_client(project, HarborRole::developer);
  Image mine = make_image();
  EXPECT_TRUE(push_image(*developer, repo, "dev", mine));
  EXPECT_TRUE(IsOciError(developer->del(manifest_path(repo, mine.digest)), 403, {"DENIED"}));
  EXPECT_TRUE(IsOciError(developer->del(manifest_path(repo, image_.digest)), 403, {"DENIED"}));

  const std::string dev_token = token({"repository:" + repo + ":pull,push,delete"}, developer.get());
  EXPECT_EQ(granted_actions(dev_token, repo), (std::vector<std::string>{"pull", "push"}));
  auto bare = anonymous();
  EXPECT_EQ(push_with(*bare, repo, "dev2", make_image(), bearer(dev_token)).status, 201);
  EXPECT_TRUE(refused(bare->del(manifest_path(repo, mine.digest), bearer(dev_token)).status));
  EXPECT_EQ(pull_manifest(client(), repo, "dev").status, 200);  // not deleted
}

TEST_F(AuthRegistryTest, MaintainerDeletes) {
  const std::string project = project_with_image();
  const std::string repo = project + "/app";
  auto maintainer = member_client(project, HarborRole::maintainer);
  Response deleted = maintainer->del(manifest_path(repo, image_.digest));
  EXPECT_EQ(deleted.status, 202) << deleted;
  EXPECT_EQ(pull_manifest(client(), repo, "v1").status, 404);

  ASSERT_TRUE(push_image(client(), repo, "v2", image_));
  const std::string maintainer_token = token({"repository:" + repo + ":delete"}, maintainer.get());
  EXPECT_EQ(granted_actions(maintainer_token, repo), std::vector<std::string>{"delete"});
  EXPECT_EQ(anonymous()->del(manifest_path(repo, image_.digest), bearer(maintainer_token)).status, 202);
}

TEST_F(AuthRegistryTest, PullOnlyProjectRobotStaysInItsLane) {
  const std::string a = project_with_image();
  const std::string b = project_with_image();
  Robot robot = pull_robot(a, "puller");
  ASSERT_FALSE(robot.secret.empty());
  auto as_robot = client_as(robot.name, robot.secret);
  EXPECT_EQ(pull_manifest(*as_robot, a + "/app", "v1").status, 200);
  EXPECT_TRUE(IsOciError(start_upload(*as_robot, a + "/app"), 403, {"DENIED"}));
  EXPECT_TRUE(IsOciError(pull_manifest(*as_robot, b + "/app", "v1"), 403, {"DENIED"}));

  const std::string robot_token = token({push_scope(a + "/app"), push_scope(b + "/app")}, as_robot.get());
  EXPECT_EQ(granted_actions(robot_token, a + "/app"), std::vector<std::string>{"pull"});
  EXPECT_TRUE(granted_actions(robot_token, b + "/app").empty());
  auto bare = anonymous();
  EXPECT_EQ(pull_manifest(*bare, a + "/app", "v1", bearer(robot_token)).status, 200);
  EXPECT_TRUE(refused(bare->post(uploads_path(a + "/app"), "", bearer(robot_token)).status));
  EXPECT_TRUE(refused(pull_manifest(*bare, b + "/app", "v1", bearer(robot_token)).status));
}

TEST_F(AuthRegistryTest, DisabledRobotIsRefusedWithSecretAndWithItsToken) {
  const std::string project = project_with_image();
  const std::string repo = project + "/app";
  Robot robot = pull_robot(project, "sleeper");
  auto as_robot = client_as(robot.name, robot.secret);
  const std::string earlier = token({pull_scope(repo)}, as_robot.get());
  auto bare = anonymous();
  ASSERT_EQ(pull_manifest(*bare, repo, "v1", bearer(earlier)).status, 200);
  ASSERT_EQ(pull_manifest(*as_robot, repo, "v1").status, 200);

  const std::string path = std::string(kApi) + "/robots/" + std::to_string(robot.id);
  json::object update = json_of(client().get(path)).as_object();
  update["disable"] = true;
  ASSERT_EQ(client().put(path, json::serialize(update), {{"Content-Type", "application/json"}}).status, 200);

  EXPECT_EQ(pull_manifest(*as_robot, repo, "v1").status, 401);
  EXPECT_EQ(request_token(*as_robot, {pull_scope(repo)}).status, 401);
  EXPECT_EQ(pull_manifest(*bare, repo, "v1", bearer(earlier)).status, 401);
}

TEST_F(AuthRegistryTest, ExpiredRobotIsRefused) {
  const std::string project = project_with_image();
  const std::string repo = project + "/app";
  Robot robot = pull_robot(project, "mayfly");
  auto as_robot = client_as(robot.name, robot.secret);
  ASSERT_EQ(pull_manifest(*as_robot, repo, "v1").status, 200);
  const std::string earlier = token({pull_scope(repo)}, as_robot.get());

  // Its expiry moved into the past in the database, with the server stopped.
  registry().stop();
  const std::string command = "sqlite3 '" + (registry().data_dir() / "meta.db").string() +
                              "' 'UPDATE robots SET expires_at = 1 WHERE id = " + std::to_string(robot.id) +
                              "'";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(registry().start());
  ASSERT_EQ(status, 0) << command;
  Response shown = client().get(std::string(kApi) + "/robots/" + std::to_string(robot.id));
  ASSERT_EQ(int_of(json_of(shown), "expires_at"), 1) << shown;

  EXPECT_EQ(pull_manifest(*as_robot, repo, "v1").status, 401);
  EXPECT_EQ(request_token(*as_robot, {pull_scope(repo)}).status, 401);
  EXPECT_EQ(pull_manifest(*anonymous(), repo, "v1", bearer(earlier)).status, 401);
}

TEST_F(AuthRegistryTest, RemovedMemberIsRefusedAtOnceEvenWithAValidToken) {
  const std::string project = project_with_image();
  const std::string repo = project + "/app";
  const std::string user = unique_name("dev");
  create_user(user);
  const std::int64_t member = add_member_id(project, user, HarborRole::developer);
  ASSERT_GT(member, 0);
  auto developer = client_as(user, kUserPassword);
  const std::string dev_token = token({push_scope(repo)}, developer.get());
  auto bare = anonymous();
  ASSERT_EQ(push_with(*bare, repo, "before", make_image(), bearer(dev_token)).status, 201);
  ASSERT_EQ(pull_manifest(*bare, repo, "v1", bearer(dev_token)).status, 200);

  Response removed =
      client().del(std::string(kApi) + "/projects/" + project + "/members/" + std::to_string(member));
  ASSERT_EQ(removed.status, 200) << removed;

  EXPECT_TRUE(refused(pull_manifest(*bare, repo, "v1", bearer(dev_token)).status));
  EXPECT_TRUE(refused(bare->post(uploads_path(repo), "", bearer(dev_token)).status));
  EXPECT_TRUE(refused(push_with(*bare, repo, "after", make_image(), bearer(dev_token)).status));
  EXPECT_TRUE(refused(pull_manifest(*developer, repo, "v1").status));
  EXPECT_TRUE(granted_actions(token({push_scope(repo)}, developer.get()), repo).empty());
}

// A mount (POST ?mount=&from=) also reads the source repository: its challenge names the
// source's pull scope too, one token for both scopes makes the mount happen, and a token
// without the source's pull gets a new challenge when the principal could pull there (the
// official conformance suite's cross-mount tests follow exactly this flow).
TEST_F(AuthRegistryTest, MountChallengeNamesTheSourceRepositoryToo) {
  const std::string source = project_with_image() + "/app";
  const std::string target_project = unique_name("t");
  ASSERT_GT(create_project(target_project), 0);
  const std::string target = target_project + "/app";
  const std::string mount =
      with_query(with_query(uploads_path(target), "mount", image_.layers[0].digest), "from", source);
  const std::string both = push_scope(target) + " " + pull_scope(source);

  auto anon = anonymous();
  Response unauthenticated = anon->post(mount, "");
  EXPECT_TRUE(IsOciError(unauthenticated, 401, {"UNAUTHORIZED"}));
  EXPECT_EQ(challenge_of(unauthenticated)["scope"], both) << unauthenticated;

  const std::string target_only = token({push_scope(target)});
  Response narrow = anon->post(mount, "", bearer(target_only));
  EXPECT_TRUE(IsOciError(narrow, 401, {"UNAUTHORIZED"}));
  EXPECT_EQ(challenge_of(narrow)["scope"], both) << narrow;

  const std::string covering = token({both});
  EXPECT_EQ(granted_actions(covering, source), std::vector<std::string>{"pull"});
  Response mounted = anon->post(mount, "", bearer(covering));
  EXPECT_EQ(mounted.status, 201) << mounted;
  EXPECT_EQ(mounted.header("Location"), blob_path(target, image_.layers[0].digest));
  EXPECT_EQ(anon->get(blob_path(target, image_.layers[0].digest), bearer(covering)).status, 200);

  // Someone who may push to the target but not read the source: an ordinary upload, no
  // challenge that a new token could not satisfy.
  auto developer = member_client(target_project, HarborRole::developer);
  const std::string dev_token = token({both}, developer.get());
  EXPECT_TRUE(granted_actions(dev_token, source).empty());
  const std::string other_layer_mount =
      with_query(with_query(uploads_path(target), "mount", image_.config.digest), "from", source);
  Response fallback = anon->post(other_layer_mount, "", bearer(dev_token));
  EXPECT_EQ(fallback.status, 202) << fallback;
  Response basic_fallback = developer->post(other_layer_mount, "");
  EXPECT_EQ(basic_fallback.status, 202) << basic_fallback;
}

// Requests with basic credentials skip the password check once the credentials were
// verified, but a changed password or a deleted user is refused on the very next request.
TEST_F(AuthRegistryTest, BasicCredentialsStopWorkingAtOnceWhenThePasswordChangesOrTheUserGoes) {
  const std::string project = project_with_image();
  const std::string repo = project + "/app";
  const std::string user = unique_name("basic");
  const std::int64_t id = create_user(user);
  add_member(project, user, HarborRole::developer);
  auto as_user = client_as(user, kUserPassword);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(pull_manifest(*as_user, repo, "v1").status, 200);

  const std::string next = "Changed-Pass-2";
  Response changed =
      as_user->put(std::string(kApi) + "/users/" + std::to_string(id) + "/password",
                   json::serialize(json::object{{"old_password", kUserPassword}, {"new_password", next}}),
                   {{"Content-Type", "application/json"}});
  ASSERT_EQ(changed.status, 200) << changed;
  EXPECT_EQ(pull_manifest(*as_user, repo, "v1").status, 401);
  auto with_new = client_as(user, next);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(pull_manifest(*with_new, repo, "v1").status, 200);

  ASSERT_EQ(client().del(std::string(kApi) + "/users/" + std::to_string(id)).status, 200);
  EXPECT_EQ(pull_manifest(*with_new, repo, "v1").status, 401);
}

TEST_F(AuthRegistryTest, CatalogIsForAdministratorsOnly) {
  ASSERT_TRUE(push_image(client(), unique_repo(), "v1", image_));
  EXPECT_EQ(client().get("/v2/_catalog").status, 200);
  const std::string admin_token = token({"registry:catalog:*"});
  auto bare = anonymous();
  EXPECT_EQ(bare->get("/v2/_catalog", bearer(admin_token)).status, 200);

  const std::string user = unique_name("plain");
  create_user(user);
  auto plain = client_as(user, kUserPassword);
  EXPECT_TRUE(IsOciError(plain->get("/v2/_catalog"), 403, {"DENIED"}));
  const std::string user_token = token({"registry:catalog:*"}, plain.get());
  EXPECT_TRUE(token_part(user_token, 1).at("access").as_array().empty()) << user_token;
  EXPECT_EQ(bare->get("/v2/_catalog", bearer(user_token)).status, 401);
  EXPECT_EQ(bare->get("/v2/_catalog").status, 401);
  // A repository token is not a catalog token, even admin's.
  EXPECT_EQ(bare->get("/v2/_catalog", bearer(token({pull_scope(unique_repo())}))).status, 401);
}

// ---- tests with a Berth of their own -----------------------------------------------------

// Starts its own Berth with the environment a test asks for; admin() signs in as admin.
class AuthInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
  }

  // Prepares, adjusts and starts the instance. `debug_log` starts it with --log-level debug.
  ::testing::AssertionResult start_berth(std::map<std::string, std::string> environment = {},
                                         bool debug_log = false) {
    std::string error;
    BerthOptions options;
    options.environment = std::move(environment);
    berth_ = RegistryInstance::prepare_berth(&error, options);
    if (!berth_) return ::testing::AssertionFailure() << error;
    if (debug_log) {
      berth_->options().standard_args = false;
      berth_->options().extra_args = {"--listen",    "127.0.0.1:" + std::to_string(berth_->port()),
                                      "--data",      berth_->data_dir().string(),
                                      "--log-level", "debug"};
    }
    auto started = berth_->start();
    if (!started) return started;
    admin_ = std::make_unique<HttpClient>(berth_->url());
    admin_->set_basic_auth("admin", kAdminPassword);
    return ::testing::AssertionSuccess();
  }

  RegistryInstance& berth() { return *berth_; }
  HttpClient& admin() { return *admin_; }
  std::unique_ptr<HttpClient> client_as(const std::string& user, const std::string& password) {
    auto out = std::make_unique<HttpClient>(berth_->url());
    if (!user.empty()) out->set_basic_auth(user, password);
    return out;
  }
  std::string log() const { return read_text(berth_->scratch_dir() / "berth.log"); }

  // `berth admin <args> --data <dir>`; its output goes to *output.
  int admin_command(std::vector<std::string> args, std::string* output, const std::string& stdin_text = {}) {
    args.insert(args.begin(), "admin");
    args.push_back("--data");
    args.push_back(berth_->data_dir().string());
    if (stdin_text.empty()) return run_berth_command(args, output);
    // The child inherits our stdin: point it at a file holding `stdin_text` meanwhile.
    char pattern[] = "/tmp/berth-it-stdin-XXXXXX";
    const int fd = mkstemp(pattern);
    if (fd < 0) return -1;
    const bool written =
        ::write(fd, stdin_text.data(), stdin_text.size()) == static_cast<ssize_t>(stdin_text.size());
    ::lseek(fd, 0, SEEK_SET);
    const int saved = ::dup(STDIN_FILENO);
    ::dup2(fd, STDIN_FILENO);
    ::close(fd);
    const int status = written ? run_berth_command(args, output) : -1;
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    ::unlink(pattern);
    return status;
  }

 private:
  std::unique_ptr<RegistryInstance> berth_;
  std::unique_ptr<HttpClient> admin_;
};

// GET `path` as `client` until the JSON array answered has at least `count` items that
// satisfy `match` (the audit log is written in the background).
std::vector<json::value> wait_for_items(HttpClient& client, const std::string& path, std::size_t count,
                                        const std::function<bool(const json::value&)>& match) {
  std::vector<json::value> found;
  for (int attempt = 0; attempt < 50; ++attempt) {
    found.clear();
    const json::value items = json_of(client.get(path));
    if (items.is_array()) {
      for (const auto& item : items.as_array())
        if (match(item)) found.push_back(item);
    }
    if (found.size() >= count) break;
    std::this_thread::sleep_for(100ms);
  }
  return found;
}

using AuthLockoutTest = AuthInstanceTest;

TEST_F(AuthLockoutTest, FiveFailedLoginsLockTheAddressThenTheLockPasses) {
  ASSERT_TRUE(start_berth({{"BERTH_AUTH_LOCKOUT", "3s"}, {"BERTH_AUTH_MAX_FAILED_LOGINS", "5"}}));
  const std::vector<std::string> scopes{push_scope(std::string(kTestProject) + "/app")};
  for (int i = 1; i <= 5; ++i) {
    auto wrong = client_as("admin", "Wrong-Password-" + std::to_string(i));
    Response r = request_token(*wrong, scopes);
    EXPECT_EQ(r.status, 401) << "attempt " << i << ": " << r;  // not locked before the 5th
  }
  const auto locked_at = std::chrono::steady_clock::now();
  Response right = request_token(admin(), scopes);
  EXPECT_EQ(right.status, 429) << right;
  EXPECT_EQ(right.body.find("\"token\""), std::string::npos);
  EXPECT_TRUE(IsOciError(admin().get("/v2/"), 429, {}));
  EXPECT_EQ(admin().get(std::string(kApi) + "/users/current").status, 429);

  std::this_thread::sleep_until(locked_at + 3200ms);
  Response after = request_token(admin(), scopes);
  ASSERT_EQ(after.status, 200) << after;
  EXPECT_FALSE(token_of(after).empty());

  const std::string path =
      with_query(std::string(kApi) + "/audit-logs", "q", "operation=login") + "&page_size=100";
  auto failures = wait_for_items(admin(), path, 6, [](const json::value& item) {
    return text_of(item, "operation") == "login" && item.at("operation_result") == json::value(false) &&
           text_of(item, "username") == "admin";
  });
  EXPECT_GE(failures.size(), 6u);  // five wrong passwords, at least one refused while locked
  for (const auto& failure : failures) EXPECT_EQ(text_of(failure, "client_ip"), "127.0.0.1");
  auto successes = wait_for_items(admin(), path, 1, [](const json::value& item) {
    return text_of(item, "operation") == "login" && item.at("operation_result") == json::value(true);
  });
  EXPECT_FALSE(successes.empty());
  const Response all = admin().get(path);
  EXPECT_EQ(all.body.find("Wrong-Password-"), std::string::npos);
}

using AuthSecretsTest = AuthInstanceTest;

TEST_F(AuthSecretsTest, PasswordsSecretsAndTokensStayOutOfLogsAndAnswers) {
  ASSERT_TRUE(start_berth({}, true));
  const std::string user = "secrets" + random_hex(6);
  const std::string password = "First-Pass-" + random_hex(10);
  const std::string changed = "Second-Pass-" + random_hex(10);
  const std::string wrong = "Wrong-Guess-" + random_hex(10);
  const std::string chosen_secret = "Chosen-Secret-" + random_hex(10);
  std::vector<std::string> secrets{password, changed, wrong, chosen_secret, kAdminPassword};
  std::vector<std::string> tokens;

  Response created = admin().post(
      std::string(kApi) + "/users",
      json::serialize(json::object{
          {"username", user}, {"email", user + "@example.com"}, {"realname", user}, {"password", password}}),
      {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created;
  const std::string user_path = path_of(created.header("Location"));
  const std::string project = "sec" + random_hex(6);
  ASSERT_EQ(
      admin()
          .post(std::string(kApi) + "/projects",
                json::serialize(json::object{{"project_name", project}, {"metadata", {{"public", "false"}}}}),
                {{"Content-Type", "application/json"}})
          .status,
      201);
  ASSERT_EQ(admin()
                .post(std::string(kApi) + "/projects/" + project + "/members",
                      json::serialize(json::object{{"role_id", 2}, {"member_user", {{"username", user}}}}),
                      {{"Content-Type", "application/json"}})
                .status,
            201);

  // The user signs in every way there is, also with a wrong password, and changes it.
  auto as_user = client_as(user, password);
  EXPECT_EQ(as_user->get("/v2/").status, 200);
  Response user_token = request_token(*as_user, {push_scope(project + "/app")});
  ASSERT_EQ(user_token.status, 200);
  tokens.push_back(token_of(user_token));
  EXPECT_EQ(push_with(*client_as("", ""), project + "/app", "v1", make_image(), bearer(tokens.back())).status,
            201);
  EXPECT_EQ(client_as(user, wrong)->get("/v2/").status, 401);
  EXPECT_EQ(request_token(*client_as(user, wrong), {}).status, 401);
  EXPECT_EQ(client_as(user, wrong)->get(std::string(kApi) + "/users/current").status, 401);
  EXPECT_EQ(as_user
                ->put(user_path + "/password",
                      json::serialize(json::object{{"old_password", password}, {"new_password", changed}}),
                      {{"Content-Type", "application/json"}})
                .status,
            200);
  auto as_changed = client_as(user, changed);
  EXPECT_EQ(as_changed->get(std::string(kApi) + "/users/current").status, 200);

  // A robot: its secret, a chosen secret, tokens for it.
  json::object robot_body{
      {"name", "ci"},
      {"level", "project"},
      {"duration", -1},
      {"permissions", json::array{json::object{{"kind", "project"},
                                               {"namespace", project},
                                               {"access", json::array{json::object{{"resource", "repository"},
                                                                                   {"action", "pull"}}}}}}}};
  Response robot = admin().post(std::string(kApi) + "/robots", json::serialize(robot_body),
                                {{"Content-Type", "application/json"}});
  ASSERT_EQ(robot.status, 201) << robot;
  const std::string robot_name = text_of(json_of(robot), "name");
  const std::string robot_secret = text_of(json_of(robot), "secret");
  const std::string robot_path =
      std::string(kApi) + "/robots/" + std::to_string(int_of(json_of(robot), "id").value_or(0));
  ASSERT_FALSE(robot_secret.empty());
  secrets.push_back(robot_secret);
  Response robot_token = request_token(*client_as(robot_name, robot_secret), {pull_scope(project + "/app")});
  ASSERT_EQ(robot_token.status, 200);
  tokens.push_back(token_of(robot_token));
  EXPECT_EQ(pull_manifest(*client_as("", ""), project + "/app", "v1", bearer(tokens.back())).status, 200);
  EXPECT_EQ(client_as(robot_name, robot_secret + "0")->get("/v2/").status, 401);
  ASSERT_EQ(admin()
                .patch(robot_path, json::serialize(json::object{{"secret", chosen_secret}}),
                       {{"Content-Type", "application/json"}})
                .status,
            200);
  EXPECT_EQ(client_as(robot_name, chosen_secret)->get("/v2/").status, 200);
  // Admin's own token, and a refused (altered) one: logged at debug, the token itself not.
  tokens.push_back(token_of(request_token(admin(), {push_scope(project + "/app")})));
  EXPECT_EQ(client_as("", "")->get("/v2/", bearer(tokens.back() + "x")).status, 401);

  // No answer shows a password, a secret or a hash.
  const std::vector<std::string> reads{std::string(kApi) + "/users",
                                       user_path,
                                       std::string(kApi) + "/robots",
                                       robot_path,
                                       std::string(kApi) + "/projects/" + project + "/members",
                                       std::string(kApi) + "/projects/" + project + "/robots",
                                       std::string(kApi) + "/audit-logs"};
  for (const auto& path : reads) {
    Response r = admin().get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r;
    for (const auto& secret : secrets) EXPECT_EQ(r.body.find(secret), std::string::npos) << path;
    EXPECT_EQ(r.body.find("$argon2"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("\"password\":"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("\"secret\":"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("_hash\""), std::string::npos) << path;
  }
  Response current = as_changed->get(std::string(kApi) + "/users/current");
  EXPECT_EQ(current.body.find("$argon2"), std::string::npos) << current;
  EXPECT_EQ(current.body.find(changed), std::string::npos) << current;

  // Nor does the log, at debug level.
  berth().stop();
  const std::string text = log();
  ASSERT_NE(text.find("/service/token"), std::string::npos) << "the access log is missing:\n" << text;
  ASSERT_NE(text.find("[debug]"), std::string::npos) << "debug lines are missing:\n" << text;
  for (const auto& secret : secrets)
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " is logged";
  for (const auto& token : tokens) {
    ASSERT_EQ(token_parts(token).size(), 3u);
    EXPECT_EQ(text.find(token_parts(token)[2]), std::string::npos) << "a token signature is logged";
    EXPECT_EQ(text.find(token_parts(token)[1]), std::string::npos) << "a token's claims are logged";
  }
  EXPECT_EQ(text.find(base64_encode(user + ":" + password)), std::string::npos)
      << "basic credentials are logged";
  EXPECT_EQ(text.find("$argon2"), std::string::npos);
}

using AuthAllowlistTest = AuthInstanceTest;

TEST_F(AuthAllowlistTest, RegistryAllowlistClosesOnlyTheRegistry) {
  ASSERT_TRUE(start_berth({{"BERTH_ACCESS_REGISTRY_ALLOWLIST", "10.9.9.0/24"}}));
  EXPECT_TRUE(IsOciError(admin().get("/v2/"), 403, {"DENIED"}));
  EXPECT_EQ(pull_manifest(admin(), std::string(kTestProject) + "/app", "v1").status, 403);
  EXPECT_EQ(request_token(admin(), {push_scope(std::string(kTestProject) + "/app")}).status, 403);
  EXPECT_EQ(request_token(*client_as("", ""), {}).status, 403);
  EXPECT_EQ(admin().get(std::string(kApi) + "/systeminfo").status, 200);
  EXPECT_EQ(admin().get(std::string(kApi) + "/users/current").status, 200);
}

TEST_F(AuthAllowlistTest, ManagementAllowlistClosesOnlyTheManagementApi) {
  ASSERT_TRUE(start_berth({{"BERTH_ACCESS_MANAGEMENT_ALLOWLIST", "10.9.9.0/24"}}));
  EXPECT_TRUE(IsHarborError(admin().get(std::string(kApi) + "/systeminfo"), 403));
  EXPECT_EQ(admin().get(std::string(kApi) + "/users/current").status, 403);
  EXPECT_EQ(client_as("", "")
                ->post("/c/login", "principal=admin&password=" + std::string(kAdminPassword),
                       {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            403);
  EXPECT_EQ(admin().get("/v2/").status, 200);
  EXPECT_EQ(request_token(admin(), {push_scope(std::string(kTestProject) + "/app")}).status, 200);
}

TEST_F(AuthAllowlistTest, LoopbackInTheAllowlistsLetsEverythingThrough) {
  ASSERT_TRUE(start_berth({{"BERTH_ACCESS_REGISTRY_ALLOWLIST", "10.9.9.0/24,127.0.0.0/8"},
                           {"BERTH_ACCESS_MANAGEMENT_ALLOWLIST", "127.0.0.0/8"}}));
  EXPECT_EQ(admin().get("/v2/").status, 200);
  EXPECT_EQ(request_token(admin(), {push_scope(std::string(kTestProject) + "/app")}).status, 200);
  EXPECT_EQ(admin().get(std::string(kApi) + "/systeminfo").status, 200);
  EXPECT_EQ(admin().get(std::string(kApi) + "/users/current").status, 200);
}

using AuthAdminCliTest = AuthInstanceTest;

TEST_F(AuthAdminCliTest, EveryCommandIsRefusedWhileTheServerRuns) {
  ASSERT_TRUE(start_berth());
  const std::size_t keys = key_file_count(berth().data_dir());
  const std::vector<std::vector<std::string>> commands{
      {"user", "create", "--username", "cliwhile"},
      {"reset-password", "--user", "admin"},
      {"project", "create", "cliwhile"},
      {"rotate-token-key"},
  };
  for (const auto& command : commands) {
    std::string output;
    EXPECT_NE(admin_command(command, &output), 0) << command[0] << ": " << output;
  }
  EXPECT_EQ(key_file_count(berth().data_dir()), keys);
  EXPECT_EQ(admin().get("/v2/").status, 200);  // admin's password is unchanged
  EXPECT_EQ(admin().get(std::string(kApi) + "/projects/cliwhile").status, 404);
  EXPECT_EQ(client_as("cliwhile", "")->get("/v2/").status, 401);
}

TEST_F(AuthAdminCliTest, UserCreateAndResetPassword) {
  ASSERT_TRUE(start_berth());
  berth().stop();
  std::string output;
  ASSERT_EQ(admin_command({"user", "create", "--username", "cliuser", "--password-stdin"}, &output,
                          "Cli-User-Pass-1\n"),
            0)
      << output;
  EXPECT_EQ(output.find("Cli-User-Pass-1"), std::string::npos) << output;
  ASSERT_TRUE(berth().start());
  auto created = client_as("cliuser", "Cli-User-Pass-1");
  EXPECT_EQ(created->get("/v2/").status, 200);
  EXPECT_EQ(request_token(*created, {}).status, 200);
  EXPECT_EQ(created->get("/v2/_catalog").status, 403);  // not an admin

  berth().stop();
  ASSERT_EQ(admin_command({"reset-password", "--user", "cliuser"}, &output), 0) << output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(output, match, std::regex("new password: (\\S+)"))) << output;
  const std::string generated = match[1].str();
  ASSERT_EQ(
      admin_command({"reset-password", "--user", "admin", "--password-stdin"}, &output, "Admin-Reset-77\n"),
      0)
      << output;
  ASSERT_TRUE(berth().start());
  EXPECT_EQ(client_as("cliuser", "Cli-User-Pass-1")->get("/v2/").status, 401);
  EXPECT_EQ(client_as("cliuser", generated)->get("/v2/").status, 200);
  EXPECT_EQ(client_as("admin", kAdminPassword)->get("/v2/").status, 401);
  EXPECT_EQ(client_as("admin", "Admin-Reset-77")->get("/v2/_catalog").status, 200);
}

TEST_F(AuthAdminCliTest, RotatedKeySignsNewTokensAndOldTokensStayValid) {
  ASSERT_TRUE(start_berth());
  const std::string repo = std::string(kTestProject) + "/rotation";
  Image image = make_image();
  ASSERT_TRUE(push_image(admin(), repo, "v1", image));
  const std::string before = token_of(request_token(admin(), {pull_scope(repo)}));
  const std::string old_kid = text_of(token_part(before, 0), "kid");
  ASSERT_FALSE(old_kid.empty());

  berth().stop();
  std::string output;
  ASSERT_EQ(admin_command({"rotate-token-key"}, &output), 0) << output;
  EXPECT_EQ(key_file_count(berth().data_dir()), 2u);
  ASSERT_TRUE(berth().start());

  auto bare = client_as("", "");
  EXPECT_EQ(pull_manifest(*bare, repo, "v1", bearer(before)).status, 200);
  const std::string after = token_of(request_token(admin(), {pull_scope(repo)}));
  const std::string new_kid = text_of(token_part(after, 0), "kid");
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(newest_server_key(berth().data_dir())->kid, new_kid);
  EXPECT_EQ(pull_manifest(*bare, repo, "v1", bearer(after)).status, 200);
}

using AuthFirstStartTest = AuthInstanceTest;

TEST_F(AuthFirstStartTest, GeneratedAdminPasswordIsLoggedOnceAndWorks) {
  std::string error;
  BerthOptions options;
  options.environment["BERTH_ADMIN_PASSWORD"] = "";  // none: Berth must generate one
  auto berth = RegistryInstance::prepare_berth(&error, options);
  ASSERT_TRUE(berth) << error;
  // prepare_berth created the admin offline; start from a truly empty data directory.
  fs::remove_all(berth->data_dir());
  fs::create_directories(berth->data_dir());
  ASSERT_TRUE(berth->start());
  const fs::path log_file = berth->scratch_dir() / "berth.log";
  std::string text = read_text(log_file);
  std::smatch match;
  ASSERT_TRUE(std::regex_search(text, match, std::regex("generated password: ([A-Za-z0-9]{8,})"))) << text;
  const std::string password = match[1].str();
  EXPECT_EQ(count_of(text, password), 1u) << text;

  HttpClient admin(berth->url());
  admin.set_basic_auth("admin", password);
  EXPECT_EQ(admin.get("/v2/_catalog").status, 200);
  EXPECT_EQ(request_token(admin, {}).status, 200);
  HttpClient configured(berth->url());
  configured.set_basic_auth("admin", kAdminPassword);
  EXPECT_EQ(configured.get("/v2/").status, 401);

  ASSERT_TRUE(berth->restart());
  text = read_text(log_file);
  EXPECT_EQ(count_of(text, password), 1u) << text;
  EXPECT_EQ(count_of(text, "generated password"), 1u) << text;
  HttpClient again(berth->url());
  again.set_basic_auth("admin", password);
  EXPECT_EQ(again.get("/v2/").status, 200);
}

}  // namespace
}  // namespace berth::integration
