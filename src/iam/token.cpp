#include "iam/token.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "base/base64.h"
#include "base/unique_fd.h"

namespace berth::iam {

namespace fs = std::filesystem;
namespace json = boost::json;

using base::Errc;
using base::make_error;

namespace {

constexpr std::int64_t kLeewaySeconds = 30;
constexpr std::size_t kKidHexDigits = 16;
constexpr std::size_t kCoordinateBytes = 32;  // P-256

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using SigPtr = std::unique_ptr<ECDSA_SIG, SigFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// One signing key as loaded or created; KeyRing::Key is this, shared and immutable.
struct KeyMaterial {
  std::uint64_t seq = 0;  // creation order
  std::string kid;
  fs::path file;
  PkeyPtr pkey;
};

// ---- keys -------------------------------------------------------------------------

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

std::optional<std::string> key_id(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return std::nullopt;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(len), md.data(), &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) return std::nullopt;
  return to_hex(md.data(), md_len).substr(0, kKidHexDigits);
}

bool is_p256(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC") != 1) return false;
  std::array<char, 64> group{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &len) != 1) return false;
  const std::string_view name(group.data(), len);
  return name == "prime256v1" || name == "P-256";
}

std::string key_file_name(std::uint64_t seq, std::string_view kid) {
  std::string digits = std::to_string(seq);
  if (digits.size() < 8) digits.insert(0, 8 - digits.size(), '0');
  return "token-" + digits + "-" + std::string(kid) + ".pem";
}

// Parses "token-<seq>-<kid>.pem".
bool parse_key_file_name(std::string_view name, std::uint64_t& seq, std::string& kid) {
  if (!name.starts_with("token-") || !name.ends_with(".pem")) return false;
  name.remove_prefix(6);
  name.remove_suffix(4);
  const auto dash = name.find('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  const auto digits = name.substr(0, dash);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return false;
  kid = std::string(name.substr(dash + 1));
  return kid.size() == kKidHexDigits && std::all_of(kid.begin(), kid.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

base::Error io_error(const std::string& what, const fs::path& path, int err) {
  return make_error(Errc::io_error, what + " " + path.string() + ": " + std::strerror(err));
}

base::Status fsync_dir(const fs::path& dir) {
  base::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", dir, errno);
  if (::fsync(fd.get()) != 0) return io_error("fsync", dir, errno);
  return base::ok_status();
}

// Writes `content` to dir/name with mode 0600: temp file, fsync, rename, fsync of dir.
base::Status write_file_atomically(const fs::path& dir, const std::string& name, std::string_view content) {
  const fs::path tmp = dir / ("." + name + ".tmp");
  const fs::path target = dir / name;
  ::unlink(tmp.c_str());  // a leftover of a crash; O_EXCL below must not trip on it
  base::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return io_error("create", tmp, errno);
  auto fail = [&](const char* what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error(what, tmp, err);
  };
  if (::fchmod(fd.get(), 0600) != 0) return fail("chmod");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("fsync");
  if (::close(fd.release()) != 0) return fail("close");
  if (::rename(tmp.c_str(), target.c_str()) != 0) return fail("rename");
  return fsync_dir(dir);
}

base::Result<KeyMaterial> load_key_file(const fs::path& path, std::uint64_t seq, const std::string& kid) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::corrupt, "cannot read key file " + path.string());
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(Errc::corrupt, "cannot read key file " + path.string());
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!pkey) return make_error(Errc::corrupt, "key file " + path.string() + " holds no private key");
  if (!is_p256(pkey.get()))
    return make_error(Errc::corrupt, "key file " + path.string() + " is not an EC P-256 key");
  const auto actual = key_id(pkey.get());
  if (!actual || *actual != kid) {
    return make_error(Errc::corrupt, "key file " + path.string() + " does not hold the key its name says");
  }
  return KeyMaterial{seq, kid, path, std::move(pkey)};
}

base::Result<KeyMaterial> create_key(const fs::path& dir, std::uint64_t seq) {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!pkey) return make_error(Errc::internal, "EC P-256 key generation failed");
  const auto kid = key_id(pkey.get());
  if (!kid) return make_error(Errc::internal, "cannot encode the public key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error(Errc::internal, "cannot encode the private key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  const std::string name = key_file_name(seq, *kid);
  auto written = write_file_atomically(dir, name, std::string_view(data, static_cast<std::size_t>(len)));
  OPENSSL_cleanse(data, static_cast<std::size_t>(len));
  if (!written) return std::move(written).error();
  return KeyMaterial{seq, *kid, dir / name, std::move(pkey)};
}

// ---- ES256 ------------------------------------------------------------------------

// JWS ES256 signature: ECDSA P-256 over SHA-256, encoded as R || S, 32 bytes each
// (RFC 7518 section 3.4), not the DER that OpenSSL produces.
std::string es256_sign(EVP_PKEY* pkey, std::string_view input) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) {
    throw std::runtime_error("ES256 signing failed");
  }
  std::vector<unsigned char> der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, data, input.size()) != 1) {
    throw std::runtime_error("ES256 signing failed");
  }
  const unsigned char* p = der.data();
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) throw std::runtime_error("ES256 signing produced no ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kCoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kCoordinateBytes) != static_cast<int>(kCoordinateBytes) ||
      BN_bn2binpad(s, out + kCoordinateBytes, kCoordinateBytes) != static_cast<int>(kCoordinateBytes)) {
    throw std::runtime_error("ES256 signature does not fit 64 bytes");
  }
  return raw;
}

bool es256_verify(EVP_PKEY* pkey, std::string_view input, std::string_view raw) {
  if (raw.size() != 2 * kCoordinateBytes) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  SigPtr sig(ECDSA_SIG_new());
  if (!sig) return false;
  BIGNUM* r = BN_bin2bn(bytes, kCoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kCoordinateBytes, kCoordinateBytes, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
                  EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

// ---- claims -----------------------------------------------------------------------

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// A NumericDate: integral seconds (an integral double is accepted too).
std::optional<std::int64_t> numeric_date(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (!std::isfinite(d) || d != std::floor(d) || d < -9.2233720368547758e18 || d >= 9.2233720368547758e18) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

const json::value* find(const json::object& o, std::string_view key) {
  const auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

base::Error refused(std::string reason) {
  return make_error(Errc::invalid_argument, std::move(reason));
}

// Reads the optional string claim `key` into `out`; false if present but not a string.
bool optional_string(const json::object& o, std::string_view key, std::string& out) {
  const auto* v = find(o, key);
  if (!v) return true;
  if (!v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

std::optional<std::vector<Access>> parse_access(const json::value& v) {
  if (!v.is_array()) return std::nullopt;
  std::vector<Access> out;
  for (const auto& item : v.get_array()) {
    if (!item.is_object()) return std::nullopt;
    const auto& o = item.get_object();
    Access access;
    if (!optional_string(o, "type", access.type) || !optional_string(o, "name", access.name))
      return std::nullopt;
    if (const auto* actions = find(o, "actions")) {
      if (!actions->is_array()) return std::nullopt;
      for (const auto& a : actions->get_array()) {
        if (!a.is_string()) return std::nullopt;
        access.actions.emplace_back(a.get_string());
      }
    }
    out.push_back(std::move(access));
  }
  return out;
}

}  // namespace

struct KeyRing::Key : KeyMaterial {
  explicit Key(KeyMaterial&& material) : KeyMaterial(std::move(material)) {}
};

// ---- scopes -----------------------------------------------------------------------

base::Result<Access> parse_scope(std::string_view scope) {
  const auto first = scope.find(':');
  const auto last = scope.rfind(':');
  if (first == std::string_view::npos || first == last) {
    return make_error(Errc::invalid_argument,
                      "scope \"" + std::string(scope) + "\" is not type:name:actions");
  }
  std::string_view type = scope.substr(0, first);
  if (const auto paren = type.find('('); paren != std::string_view::npos) {
    if (!type.ends_with(')')) {
      return make_error(Errc::invalid_argument,
                        "scope \"" + std::string(scope) + "\" has a malformed resource class");
    }
    type = type.substr(0, paren);
  }
  Access access;
  access.type = std::string(type);
  access.name = std::string(scope.substr(first + 1, last - first - 1));
  if (access.type.empty() || access.name.empty()) {
    return make_error(Errc::invalid_argument,
                      "scope \"" + std::string(scope) + "\" has an empty type or name");
  }
  std::string_view actions = scope.substr(last + 1);
  while (!actions.empty()) {
    const auto comma = actions.find(',');
    const auto action = actions.substr(0, comma);
    if (!action.empty()) access.actions.emplace_back(action);
    if (comma == std::string_view::npos) break;
    actions.remove_prefix(comma + 1);
  }
  if (access.actions.empty()) {
    return make_error(Errc::invalid_argument, "scope \"" + std::string(scope) + "\" names no action");
  }
  return access;
}

// ---- KeyRing ----------------------------------------------------------------------

KeyRing::~KeyRing() = default;

base::Result<std::unique_ptr<KeyRing>> KeyRing::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(Errc::io_error, "create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return io_error("chmod", dir, errno);

  std::unique_ptr<KeyRing> ring(new KeyRing());
  ring->dir_ = dir;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".token-") && name.ends_with(".tmp")) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);  // a write interrupted by a crash
      continue;
    }
    if (!name.starts_with("token-") || !name.ends_with(".pem")) continue;
    std::uint64_t seq = 0;
    std::string kid;
    if (!parse_key_file_name(name, seq, kid)) {
      return make_error(Errc::corrupt,
                        "key file " + it->path().string() + " is not named token-<seq>-<kid>.pem");
    }
    auto key = load_key_file(it->path(), seq, kid);
    if (!key) return std::move(key).error();
    ring->keys_.push_back(std::make_shared<const Key>(std::move(key).value()));
  }
  if (ec) return make_error(Errc::io_error, "list " + dir.string() + ": " + ec.message());
  std::sort(ring->keys_.begin(), ring->keys_.end(),
            [](const auto& a, const auto& b) { return a->seq < b->seq; });
  for (std::size_t i = 1; i < ring->keys_.size(); ++i) {
    if (ring->keys_[i]->seq == ring->keys_[i - 1]->seq) {
      return make_error(Errc::corrupt, "two key files with sequence " + std::to_string(ring->keys_[i]->seq));
    }
  }
  if (ring->keys_.empty()) {
    auto key = create_key(dir, 1);
    if (!key) return std::move(key).error();
    ring->keys_.push_back(std::make_shared<const Key>(std::move(key).value()));
  }
  return ring;
}

base::Result<std::string> KeyRing::rotate(std::size_t keep) {
  std::lock_guard rotation(rotate_mutex_);
  std::uint64_t seq = 0;
  {
    std::lock_guard lock(mutex_);
    seq = keys_.back()->seq + 1;
  }
  auto created = create_key(dir_, seq);
  if (!created) return std::move(created).error();
  const std::string kid = created.value().kid;

  std::vector<std::shared_ptr<const Key>> dropped;
  {
    std::lock_guard lock(mutex_);
    keys_.push_back(std::make_shared<const Key>(std::move(created).value()));
    const std::size_t older = keys_.size() - 1;
    if (older > keep) {
      const auto cut = keys_.begin() + static_cast<std::ptrdiff_t>(older - keep);
      dropped.assign(keys_.begin(), cut);
      keys_.erase(keys_.begin(), cut);
    }
  }
  for (const auto& key : dropped) {
    if (::unlink(key->file.c_str()) != 0 && errno != ENOENT) {
      return io_error("rotated to key " + kid + ", but cannot delete", key->file, errno);
    }
  }
  if (!dropped.empty()) {
    if (auto synced = fsync_dir(dir_); !synced) return std::move(synced).error();
  }
  return kid;
}

std::string KeyRing::current_key_id() const {
  std::lock_guard lock(mutex_);
  return keys_.back()->kid;
}

std::string KeyRing::sign(const TokenClaims& claims) const {
  std::shared_ptr<const Key> key;
  {
    std::lock_guard lock(mutex_);
    key = keys_.back();
  }
  json::object header;
  header["typ"] = "JWT";
  header["alg"] = "ES256";
  header["kid"] = key->kid;

  json::object payload;
  payload["iss"] = claims.issuer;
  payload["sub"] = claims.subject;
  payload["aud"] = claims.audience;
  payload["exp"] = claims.expires_at;
  payload["nbf"] = claims.not_before;
  payload["iat"] = claims.issued_at;
  payload["jti"] = claims.id;
  json::array access;
  for (const auto& entry : claims.access) {
    json::array actions;
    for (const auto& action : entry.actions) actions.emplace_back(action);
    access.emplace_back(
        json::object{{"type", entry.type}, {"name", entry.name}, {"actions", std::move(actions)}});
  }
  payload["access"] = std::move(access);

  std::string token = base::base64url_encode(json::serialize(header)) + "." +
                      base::base64url_encode(json::serialize(payload));
  const std::string signature = es256_sign(key->pkey.get(), token);
  token += ".";
  token += base::base64url_encode(signature);
  return token;
}

base::Result<TokenClaims> KeyRing::verify(std::string_view token, std::string_view audience,
                                          std::string_view issuer, std::int64_t now) const {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return refused("malformed token: not three dot-separated parts");
  }
  const std::string_view signing_input = token.substr(0, dot2);
  const auto header_text = base::base64url_decode(token.substr(0, dot1));
  if (!header_text) return refused("malformed token: header is not base64url");
  const auto header = parse_object(*header_text);
  if (!header) return refused("malformed token: header is not a JSON object");

  const auto* alg = find(*header, "alg");
  if (!alg || !alg->is_string()) return refused("malformed token: header has no alg");
  if (alg->get_string() != "ES256") {
    return refused("token algorithm \"" + std::string(alg->get_string()) + "\" is not accepted (only ES256)");
  }
  if (find(*header, "crit")) return refused("token header names critical extensions");
  const auto* kid = find(*header, "kid");
  if (!kid || !kid->is_string()) return refused("malformed token: header has no kid");

  std::shared_ptr<const Key> key;
  {
    std::lock_guard lock(mutex_);
    for (const auto& candidate : keys_) {
      if (candidate->kid == kid->get_string()) key = candidate;
    }
  }
  if (!key) return refused("token signed by an unknown key");

  const auto signature = base::base64url_decode(token.substr(dot2 + 1));
  if (!signature) return refused("malformed token: signature is not base64url");
  if (!es256_verify(key->pkey.get(), signing_input, *signature))
    return refused("token signature does not verify");

  const auto payload_text = base::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload_text) return refused("malformed token: claims are not base64url");
  const auto payload = parse_object(*payload_text);
  if (!payload) return refused("malformed token: claims are not a JSON object");

  TokenClaims claims;
  if (!optional_string(*payload, "iss", claims.issuer) || claims.issuer != issuer) {
    return refused("token issuer does not match");
  }
  bool audience_ok = false;
  if (const auto* aud = find(*payload, "aud")) {
    if (aud->is_string()) {
      audience_ok = aud->get_string() == audience;
    } else if (aud->is_array()) {
      for (const auto& a : aud->get_array())
        audience_ok = audience_ok || (a.is_string() && a.get_string() == audience);
    }
  }
  if (!audience_ok) return refused("token audience does not match");
  claims.audience = std::string(audience);

  const auto* exp = find(*payload, "exp");
  const auto expires_at = exp ? numeric_date(*exp) : std::nullopt;
  if (!expires_at) return refused("token has no valid expiry (exp)");
  if (now - kLeewaySeconds >= *expires_at) return refused("token has expired");
  claims.expires_at = *expires_at;
  if (const auto* nbf = find(*payload, "nbf")) {
    const auto not_before = numeric_date(*nbf);
    if (!not_before) return refused("malformed token: nbf is not a number");
    if (*not_before > now + kLeewaySeconds) return refused("token is not valid yet");
    claims.not_before = *not_before;
  }
  if (const auto* iat = find(*payload, "iat")) {
    const auto issued_at = numeric_date(*iat);
    if (!issued_at) return refused("malformed token: iat is not a number");
    claims.issued_at = *issued_at;
  }
  if (!optional_string(*payload, "sub", claims.subject))
    return refused("malformed token: sub is not a string");
  if (!optional_string(*payload, "jti", claims.id)) return refused("malformed token: jti is not a string");
  if (const auto* access = find(*payload, "access")) {
    auto parsed = parse_access(*access);
    if (!parsed) return refused("malformed token: access is not a list of {type, name, actions}");
    claims.access = std::move(*parsed);
  }
  return claims;
}

}  // namespace berth::iam
