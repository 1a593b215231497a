// rpm's Berkeley DB database (rpm before 4.16: CentOS/RHEL 7 and 8, Amazon Linux 2, ...): the
// hash database var/lib/rpm/Packages, one RPM header blob per installed package, keyed by its
// instance number (key 0 holds rpm's counter, not a package). Read from its bytes, page by
// page, as rpm's own read-only backend (bdb_ro) does: no libdb, nothing written.
//
// Layout (Berkeley DB 5 hash access method; integers in the byte order the metadata's magic
// number gives):
//   page 0, the metadata: magic at 12 (0x061561), page size at 20, encryption at 24 (must be
//     0), page type at 25 (8), number of the last page at 32;
//   every page: next page at 16, entry count at 20, a byte count at 22 (an overflow page's
//     used bytes), page type at 25, then from 26 a 2-byte offset per entry;
//   hash pages (type 13, or 2 unsorted): entries alternate key, value; an entry starts with
//     its kind: 1 = the bytes follow up to the previous entry's start (or the page's end),
//     3 = off-page: first overflow page at 4, total length at 8;
//   overflow pages (type 7): their used bytes from 26, chained by the next page number.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {
namespace {

using base::Errc;

constexpr std::uint32_t kHashMagic = 0x061561;
constexpr std::size_t kPageHeader = 26;
constexpr unsigned char kHashMetaPage = 8;
constexpr unsigned char kHashPage = 13;
constexpr unsigned char kHashUnsortedPage = 2;
constexpr unsigned char kOverflowPage = 7;
constexpr unsigned char kKeyData = 1;
constexpr unsigned char kOffPage = 3;

class Reader {
 public:
  Reader(std::string_view bytes, std::string_view path) : bytes_(bytes), path_(path) {}

  base::Result<std::vector<Package>> packages() {
    if (bytes_.empty()) return std::vector<Package>{};  // an empty file lists nothing
    if (bytes_.size() < 512) return corrupt("not a Berkeley DB database (too short)");
    const std::uint32_t magic = u32_at(12);
    if (magic != kHashMagic) {
      swapped_ = true;
      if (u32_at(12) != kHashMagic) return corrupt("not a Berkeley DB hash database");
    }
    page_size_ = u32_at(20);
    if (page_size_ < 512 || page_size_ > 65536 || (page_size_ & (page_size_ - 1)) != 0)
      return corrupt("invalid page size " + std::to_string(page_size_));
    if (static_cast<unsigned char>(bytes_[24]) != 0) return corrupt("encrypted");
    if (static_cast<unsigned char>(bytes_[25]) != kHashMetaPage) return corrupt("no hash metadata page");
    last_page_ = u32_at(32);
    if ((static_cast<std::uint64_t>(last_page_) + 1) * page_size_ > bytes_.size())
      return corrupt("shorter than its " + std::to_string(last_page_ + 1) + " pages");

    std::vector<Package> out;
    for (std::uint32_t page = 1; page <= last_page_; ++page) {
      const std::string_view p = page_at(page);
      const auto type = static_cast<unsigned char>(p[25]);
      if (type != kHashPage && type != kHashUnsortedPage) continue;
      const std::uint16_t entries = u16(p, 20);
      if (entries % 2 != 0) return corrupt_page(page, "an odd number of hash entries");
      if (kPageHeader + 2 * std::size_t{entries} > page_size_) return corrupt_page(page, "too many entries");
      for (std::uint16_t i = 0; i < entries; i += 2) {
        auto key = entry(p, page, i);
        if (!key) return std::move(key).error();
        if (key->size() == 4 && *key == std::string_view("\0\0\0\0", 4)) continue;  // rpm's counter
        auto value = entry(p, page, i + 1);
        if (!value) return std::move(value).error();
        auto package = parse_rpm_header(*value);
        if (!package)
          return corrupt_page(page, "package " + std::to_string(i / 2) + ": " + package.error().message);
        if (*package) {
          (*package)->path = std::string(path_);
          out.push_back(std::move(**package));
        }
      }
    }
    return out;
  }

 private:
  std::uint32_t u32_at(std::size_t offset) const { return u32(bytes_, offset); }

  std::uint32_t u32(std::string_view s, std::size_t offset) const {
    const auto b = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(s[offset + i]));
    };
    return swapped_ ? (b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3))
                    : (b(3) << 24 | b(2) << 16 | b(1) << 8 | b(0));
  }

  std::uint16_t u16(std::string_view s, std::size_t offset) const {
    const auto b0 = static_cast<unsigned char>(s[offset]);
    const auto b1 = static_cast<unsigned char>(s[offset + 1]);
    return static_cast<std::uint16_t>(swapped_ ? (b0 << 8 | b1) : (b1 << 8 | b0));
  }

  std::string_view page_at(std::uint32_t page) const {
    return bytes_.substr(static_cast<std::size_t>(page) * page_size_, page_size_);
  }

  // The bytes of entry `i` of hash page `p`: inline, or gathered from its overflow pages.
  base::Result<std::string> entry(std::string_view p, std::uint32_t page, std::uint16_t i) const {
    const std::size_t start = u16(p, kPageHeader + 2 * std::size_t{i});
    const std::size_t end = i == 0 ? page_size_ : u16(p, kPageHeader + 2 * (std::size_t{i} - 1));
    if (start < kPageHeader || start >= end || end > page_size_)
      return corrupt_page(page, "entry " + std::to_string(i) + " out of its page");
    const auto kind = static_cast<unsigned char>(p[start]);
    if (kind == kKeyData) return std::string(p.substr(start + 1, end - start - 1));
    if (kind != kOffPage)
      return corrupt_page(page, "entry " + std::to_string(i) + " of unexpected kind " + std::to_string(kind));
    if (end - start < 12) return corrupt_page(page, "entry " + std::to_string(i) + " truncated");
    return overflow(u32(p, start + 4), u32(p, start + 8));
  }

  base::Result<std::string> overflow(std::uint32_t first, std::uint32_t length) const {
    std::string out;
    std::uint32_t visited = 0;
    for (std::uint32_t page = first; page != 0; ++visited) {
      if (page > last_page_ || visited > last_page_)
        return corrupt("overflow chain leaves the file or loops");
      const std::string_view p = page_at(page);
      if (static_cast<unsigned char>(p[25]) != kOverflowPage)
        return corrupt_page(page, "not an overflow page");
      const std::size_t used = u16(p, 22);
      if (kPageHeader + used > page_size_ || out.size() + used > length)
        return corrupt_page(page, "overflow data longer than its page or record");
      out.append(p.substr(kPageHeader, used));
      page = u32(p, 16);
    }
    if (out.size() != length)
      return corrupt("record of " + std::to_string(length) + " bytes holds " + std::to_string(out.size()));
    return out;
  }

  base::Error corrupt(const std::string& what) const {
    return base::make_error(Errc::corrupt, std::string(path_) + ": " + what);
  }
  base::Error corrupt_page(std::uint32_t page, const std::string& what) const {
    return corrupt("page " + std::to_string(page) + ": " + what);
  }

  std::string_view bytes_;
  std::string_view path_;
  bool swapped_ = false;
  std::uint32_t page_size_ = 0;
  std::uint32_t last_page_ = 0;
};

}  // namespace

base::Result<std::vector<Package>> parse_rpmdb_bdb(std::string_view bytes, std::string_view path) {
  return Reader(bytes, path).packages();
}

}  // namespace berth::inventory::detail
