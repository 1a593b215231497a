#include "iam/allowlist.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace berth::iam {
namespace {

using Address = std::array<std::uint8_t, 16>;

struct Parsed {
  Address bytes{};
  bool ipv4 = false;  // written as a.b.c.d (then `bytes` holds the IPv4-mapped form)
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses a textual IPv4 or IPv6 address into the 128-bit form; IPv4 becomes
// ::ffff:a.b.c.d. Accepts "[v6]" and drops an IPv6 zone ("fe80::1%eth0").
std::optional<Parsed> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 128) return std::nullopt;
  Parsed out;
  if (text.find(':') == std::string_view::npos) {
    const std::string buf(text);
    in_addr v4{};
    if (inet_pton(AF_INET, buf.c_str(), &v4) != 1) return std::nullopt;
    out.bytes[10] = 0xff;
    out.bytes[11] = 0xff;
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    out.ipv4 = true;
    return out;
  }
  const std::string buf(text.substr(0, text.find('%')));
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf.c_str(), &v6) != 1) return std::nullopt;
  std::memcpy(out.bytes.data(), &v6, 16);
  return out;
}

bool is_ipv4_mapped(const Address& a) {
  for (std::size_t i = 0; i < 10; ++i) {
    if (a[i] != 0) return false;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

bool in_block(const Address& address, const Address& network, int prefix) {
  const int whole = prefix / 8;
  if (std::memcmp(address.data(), network.data(), static_cast<std::size_t>(whole)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[static_cast<std::size_t>(whole)] & mask) == network[static_cast<std::size_t>(whole)];
}

void clear_host_bits(Address& network, int prefix) {
  for (int bit = prefix; bit < 128; ++bit) {
    network[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
}

}  // namespace

base::Result<CidrList> CidrList::parse(const std::vector<std::string>& entries) {
  CidrList list;
  for (const auto& entry : entries) {
    const std::string_view text = trim(entry);
    const auto slash = text.find('/');
    const auto address = parse_address(text.substr(0, slash));
    if (!address) {
      return base::make_error(base::Errc::invalid_argument,
                              "allowlist entry \"" + entry + "\": invalid address");
    }
    // A prefix counts bits of the address as written: 0..32 for IPv4, 0..128 for IPv6.
    const int max_prefix = address->ipv4 ? 32 : 128;
    int prefix = max_prefix;
    if (slash != std::string_view::npos) {
      const auto digits = text.substr(slash + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix < 0) {
        return base::make_error(base::Errc::invalid_argument,
                                "allowlist entry \"" + entry + "\": invalid prefix");
      }
      if (prefix > max_prefix) {
        return base::make_error(
            base::Errc::invalid_argument,
            "allowlist entry \"" + entry + "\": prefix longer than " + std::to_string(max_prefix));
      }
    }
    if (!address->ipv4 && is_ipv4_mapped(address->bytes) && prefix < 96) {
      // "::ffff:10.0.0.0/8" would reach far beyond IPv4 space: almost surely a mistake.
      return base::make_error(
          base::Errc::invalid_argument,
          "allowlist entry \"" + entry + "\": an IPv4-mapped address needs a prefix of 96 or more");
    }
    Block block;
    block.network = address->bytes;
    block.prefix = address->ipv4 ? 96 + prefix : prefix;
    clear_host_bits(block.network, block.prefix);
    list.blocks_.push_back(block);
  }
  return list;
}

bool CidrList::allows(std::string_view address) const {
  if (blocks_.empty()) return true;
  const auto parsed = parse_address(trim(address));
  if (!parsed) return false;
  for (const auto& block : blocks_) {
    if (in_block(parsed->bytes, block.network, block.prefix)) return true;
  }
  return false;
}

}  // namespace berth::iam
