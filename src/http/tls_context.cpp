#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace berth::http {
namespace {

namespace asio = boost::asio;

// OpenSSL's reason for the last failure (and clears its error queue).
std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!reason.empty()) reason += "; ";
    reason += text;
  }
  return reason.empty() ? std::string("unknown OpenSSL error") : reason;
}

base::Error failure(std::string what, const std::string& reason) {
  return base::make_error(base::Errc::io_error, std::move(what) + ": " + reason);
}

}  // namespace

base::Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const std::string& certificate_file,
                                                                   const std::string& private_key_file) {
  if (certificate_file.empty() || private_key_file.empty())
    return base::make_error(base::Errc::io_error, "TLS needs both a certificate and a private key");
  ERR_clear_error();
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1)
    return failure("cannot require TLS 1.2", openssl_reason());
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
    return failure("cannot set the TLS cipher list", openssl_reason());
  // Idle keep-alive connections hold no record buffers (about 34 KiB each otherwise).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(native, certificate_file.c_str()) != 1)
    return failure("cannot load TLS certificate " + certificate_file, openssl_reason());
  if (SSL_CTX_use_PrivateKey_file(native, private_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return failure("cannot load TLS private key " + private_key_file, openssl_reason());
  if (SSL_CTX_check_private_key(native) != 1)
    return failure(
        "TLS private key " + private_key_file + " does not belong to certificate " + certificate_file,
        openssl_reason());
  return context;
}

}  // namespace berth::http
