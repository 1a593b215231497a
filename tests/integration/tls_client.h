// TlsClient: a TLS connection to 127.0.0.1 made with OpenSSL directly, so that a test can
// choose what the client offers (protocol versions, TLS 1.2 ciphers) and see what the
// server chose and which certificate it presented. Also makes test certificates.
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "http_client.h"

namespace berth::integration {

struct TlsOffer {
  int min_version = TLS1_VERSION;  // TLS1_VERSION .. TLS1_3_VERSION
  int max_version = 0;             // 0 = the highest OpenSSL knows
  std::string ciphers;             // TLS 1.2 and below, OpenSSL syntax; "" = OpenSSL's defaults
  // Security level 0: the client is willing to offer old protocols and weak ciphers, so a
  // failed handshake is the server's refusal, not the client's.
  bool anything_goes = true;
};

class TlsClient {
 public:
  // Connects and completes the handshake (certificates are not verified: tests compare
  // fingerprints instead). ok() tells whether it worked, error() why not.
  TlsClient(int port, const TlsOffer& offer = {});
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool ok() const { return ssl_ != nullptr; }
  const std::string& error() const { return error_; }
  std::string version() const;  // "TLSv1.2", "TLSv1.3"
  std::string cipher() const;   // "ECDHE-RSA-AES128-GCM-SHA256"
  // SHA-256 of the certificate the server presented, in hex ("" when none).
  std::string peer_fingerprint() const;

  // Sends `request` (a whole HTTP/1.1 request) and reads one response with a Content-Length
  // body. status 0 when the exchange failed.
  Response exchange(std::string_view request);

 private:
  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string error_;
  std::string pending_;  // read but not yet returned
};

// SHA-256 of the first certificate in a PEM file, in hex ("" when unreadable).
std::string certificate_fingerprint(const std::filesystem::path& pem);

// Writes a self-signed certificate for 127.0.0.1 and its key with the openssl command;
// `key_type` is "rsa" or "ec" (P-256). False when openssl failed.
bool make_certificate(const std::filesystem::path& certificate, const std::filesystem::path& key,
                      std::string_view key_type);

}  // namespace berth::integration
