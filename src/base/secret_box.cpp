#include "base/secret_box.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/base64.h"

namespace berth::base {
namespace {

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::string_view kPrefix = "v1:";

struct CipherDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status write_new_key(const std::filesystem::path& path) {
  std::string key(kKeySize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
    return make_error(Errc::internal, "no random bytes for a new secret key");
  const std::filesystem::path temp = path.string() + ".new";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(Errc::io_error, "cannot create " + temp.string() + ": " + std::strerror(errno));
  const bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  // A link, not a rename: two processes creating the key at once keep the first one's.
  const bool linked = written && (::link(temp.c_str(), path.c_str()) == 0 || errno == EEXIST);
  ::unlink(temp.c_str());
  if (!linked) return make_error(Errc::io_error, "cannot write the secret key " + path.string());
  return ok_status();
}

}  // namespace

Result<SecretBox> SecretBox::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (auto s = write_new_key(path); !s) return s.error();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io_error, "cannot read the secret key " + path.string());
  std::ostringstream content;
  content << in.rdbuf();
  std::string key = content.str();
  if (key.size() != kKeySize)
    return make_error(Errc::corrupt, "the secret key " + path.string() + " is not " +
                                         std::to_string(kKeySize) + " bytes long");
  return SecretBox(std::move(key));
}

Result<SecretBox> SecretBox::with_key(std::string_view key) {
  if (key.size() != kKeySize) return make_error(Errc::invalid_argument, "a secret key has 32 bytes");
  return SecretBox(std::string(key));
}

std::string SecretBox::seal(std::string_view plain) const {
  if (plain.empty()) return {};
  std::string out(kNonceSize + plain.size() + kTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  RAND_bytes(nonce, static_cast<int>(kNonceSize));
  CipherPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), nonce);
  EVP_EncryptUpdate(ctx.get(), nonce + kNonceSize, &length, bytes(plain), static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceSize + length, &length);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                      nonce + kNonceSize + plain.size());
  return std::string(kPrefix) + base64_encode(out);
}

Result<std::string> SecretBox::unseal(std::string_view sealed) const {
  if (sealed.empty()) return std::string();
  auto fail = [] { return make_error(Errc::corrupt, "a sealed secret cannot be opened with this key"); };
  if (!sealed.starts_with(kPrefix)) return fail();
  auto raw = base64_decode(sealed.substr(kPrefix.size()));
  if (!raw || raw->size() < kNonceSize + kTagSize) return fail();
  const std::string_view data = *raw;
  const std::size_t size = data.size() - kNonceSize - kTagSize;
  std::string plain(size, '\0');
  CipherPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  std::string tag(data.substr(kNonceSize + size));
  const bool opened =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), bytes(data)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &length, bytes(data) + kNonceSize, static_cast<int>(size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + length, &length) == 1;
  if (!opened) return fail();
  return plain;
}

}  // namespace berth::base
