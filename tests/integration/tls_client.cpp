#include "tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace berth::integration {
namespace {

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? std::string("no OpenSSL error") : text;
}

std::string hex_digest(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest, &length) != 1) return "";
  std::string hex;
  char pair[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

TlsClient::TlsClient(int port, const TlsOffer& offer) {
  context_ = SSL_CTX_new(TLS_client_method());
  if (context_ == nullptr) {
    error_ = "SSL_CTX_new: " + openssl_errors();
    return;
  }
  if (offer.anything_goes) SSL_CTX_set_security_level(context_, 0);
  SSL_CTX_set_min_proto_version(context_, offer.min_version);
  SSL_CTX_set_max_proto_version(context_, offer.max_version);
  if (!offer.ciphers.empty() && SSL_CTX_set_cipher_list(context_, offer.ciphers.c_str()) != 1) {
    error_ = "this OpenSSL does not know the ciphers " + offer.ciphers;
    return;
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error_ = "cannot connect";
    return;
  }
  SSL* ssl = SSL_new(context_);
  SSL_set_fd(ssl, fd_);
  SSL_set_tlsext_host_name(ssl, "127.0.0.1");
  if (SSL_connect(ssl) != 1) {
    error_ = "handshake failed: " + openssl_errors();
    SSL_free(ssl);
    return;
  }
  ssl_ = ssl;
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (context_ != nullptr) SSL_CTX_free(context_);
  if (fd_ >= 0) ::close(fd_);
}

std::string TlsClient::version() const {
  return ssl_ == nullptr ? "" : SSL_get_version(ssl_);
}

std::string TlsClient::cipher() const {
  return ssl_ == nullptr ? "" : SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_));
}

std::string TlsClient::peer_fingerprint() const {
  if (ssl_ == nullptr) return "";
  X509* certificate = SSL_get1_peer_certificate(ssl_);
  std::string fingerprint = hex_digest(certificate);
  X509_free(certificate);
  return fingerprint;
}

Response TlsClient::exchange(std::string_view request) {
  Response response;
  if (ssl_ == nullptr) return response;
  if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) != static_cast<int>(request.size())) {
    response.transport_error = "write failed: " + openssl_errors();
    return response;
  }
  std::string& data = pending_;
  const auto read_more = [&] {
    char buffer[16 * 1024];
    const int n = SSL_read(ssl_, buffer, sizeof buffer);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t head_end;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more()) {
      response.transport_error = "connection ended before a response head";
      return response;
    }
  }
  const std::string head = data.substr(0, head_end);
  data.erase(0, head_end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return response;
  std::size_t length = 0;
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (lowercase(line.substr(0, colon)) == "content-length") length = std::stoul(value);
    response.headers.emplace_back(line.substr(0, colon), value);
  }
  while (data.size() < length) {
    if (!read_more()) {
      response.transport_error = "connection ended inside the body";
      return response;
    }
  }
  response.body = data.substr(0, length);
  data.erase(0, length);
  response.status = std::stol(status_line.substr(9, 3));
  return response;
}

std::string certificate_fingerprint(const std::filesystem::path& pem) {
  FILE* file = std::fopen(pem.c_str(), "r");
  if (file == nullptr) return "";
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  std::string fingerprint = hex_digest(certificate);
  X509_free(certificate);
  return fingerprint;
}

bool make_certificate(const std::filesystem::path& certificate, const std::filesystem::path& key,
                      std::string_view key_type) {
  const std::string algorithm =
      key_type == "rsa" ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
  const std::string command =
      "openssl req -x509 " + algorithm +
      " -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" + key.string() +
      "' -out '" + certificate.string() + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0 && std::filesystem::exists(certificate);
}

}  // namespace berth::integration
