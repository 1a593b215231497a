// The server's TLS settings: what Berth offers to clients, in one place.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "base/result.h"

namespace berth::http {

// The TLS 1.2 cipher list, in the server's order of preference: ECDHE key exchange (forward
// secrecy) with AES-GCM or ChaCha20-Poly1305 only; no CBC, no RSA key exchange, no SHA-1.
// TLS 1.3 uses OpenSSL's suites, which are all AEAD.
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Builds a server context from PEM files: the certificate chain and the private key that
// must belong to it. TLS 1.2 and 1.3 only, kTls12Ciphers with the server's preference,
// no renegotiation, no compression; idle connections give their record buffers back.
// Errors: io_error naming the file and OpenSSL's reason (missing, unreadable, not PEM,
// key and certificate that do not match).
base::Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(
    const std::string& certificate_file, const std::string& private_key_file);

}  // namespace berth::http
