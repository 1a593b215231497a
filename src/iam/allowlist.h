// IP allowlists: a list of CIDR blocks (IPv4 and IPv6) and a membership test. An empty
// list allows every address.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::iam {

class CidrList {
 public:
  // Parses entries like "10.0.0.0/8", "192.168.1.7" (a single host), "fd00::/8", "::1",
  // "[::1]". An IPv4-mapped entry ("::ffff:10.0.0.0/104") counts its prefix in IPv6 bits
  // and matches the same addresses as the IPv4 form. Host bits set are allowed and
  // ignored. Errors: invalid_argument naming the first bad entry (bad address, bad or
  // too long prefix, an IPv4-mapped entry with a prefix under 96).
  static base::Result<CidrList> parse(const std::vector<std::string>& entries);

  bool empty() const { return blocks_.empty(); }
  // True if the list is empty or `address` (textual IPv4 or IPv6, as
  // http::Request::remote_address gives it; IPv4-mapped IPv6 counts as IPv4) falls in a
  // block. An unparsable address is outside every non-empty list.
  bool allows(std::string_view address) const;

 private:
  struct Block {
    std::array<std::uint8_t, 16> network{};  // IPv4 stored as IPv4-mapped IPv6
    int prefix = 0;                          // in bits of the 128-bit form
  };
  std::vector<Block> blocks_;
};

}  // namespace berth::iam
