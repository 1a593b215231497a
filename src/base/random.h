// Cryptographically random identifiers (OpenSSL RAND_bytes).
#pragma once

#include <cstddef>
#include <string>

namespace berth::base {

// Returns `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string random_hex(std::size_t bytes);

// Returns a random RFC 4122 version-4 UUID in its canonical lowercase form.
std::string random_uuid();

}  // namespace berth::base
