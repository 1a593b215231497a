// Go: the build information the Go toolchain embeds in every binary it links (what
// `go version -m` prints): the Go version and, for module builds, the main module and every
// dependency module with its version.
//
// summarize_go_binary streams the file looking for the build info header, "\xff Go buildinf:",
// holding only a small window in memory, and stops reading once it has found and decoded it.
// Go >= 1.18 writes the header with its two strings inline (flags bit 0x2):
//   magic(14) ptr_size(1) flags(1) padding(16) uvarint-length version, uvarint-length modinfo
// Binaries of Go < 1.18 point to the strings through the data segment instead; reading them would
// need the executable's address map, so they are not supported: they summarize to nullopt, with
// no error, as do files that are not Go binaries.
#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <string>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {
namespace {

constexpr std::string_view kMagic{"\xff Go buildinf:", 14};
constexpr std::size_t kHeaderSize = 32;
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kMaxVersion = 256;
constexpr std::size_t kMaxModinfo = 4u << 20;  // a module list far larger than any real one
constexpr std::size_t kFlagsInline = 0x2;
constexpr std::string_view kSummaryGoPrefix = "go\t";

bool executable_magic(std::string_view head) {
  static constexpr std::array<std::string_view, 6> kMagics = {
      std::string_view{"\x7f"
                       "ELF",
                       4},  // ELF
      std::string_view{"\xfe\xed\xfa\xce", 4},
      std::string_view{"\xce\xfa\xed\xfe", 4},  // Mach-O 32
      std::string_view{"\xfe\xed\xfa\xcf", 4},
      std::string_view{"\xcf\xfa\xed\xfe", 4},  // Mach-O 64
      std::string_view{"\xca\xfe\xba\xbe", 4},  // Mach-O universal
  };
  if (head.starts_with("MZ")) return true;  // PE
  return std::any_of(kMagics.begin(), kMagics.end(), [&](std::string_view m) { return head.starts_with(m); });
}

// A window over the content: bytes [0, buffer.size()) are held, more are appended on demand.
class Window {
 public:
  explicit Window(image::Content& content) : content_(content) {}

  std::string& bytes() { return buffer_; }
  bool eof() const { return eof_; }

  // Reads until at least `size` bytes are held or the content ends.
  base::Status fill(std::size_t size) {
    while (buffer_.size() < size && !eof_) {
      auto status = read_chunk();
      if (!status) return status;
    }
    return base::ok_status();
  }

  base::Status read_chunk() {
    std::size_t held = buffer_.size();
    buffer_.resize(held + kChunk);
    auto got = content_.read(std::span<char>(buffer_.data() + held, kChunk));
    if (!got) {
      buffer_.resize(held);
      return std::move(got).error();
    }
    buffer_.resize(held + *got);
    if (*got == 0) eof_ = true;
    return base::ok_status();
  }

  // Drops everything before `offset`.
  void discard(std::size_t offset) { buffer_.erase(0, offset); }

 private:
  image::Content& content_;
  std::string buffer_;
  bool eof_ = false;
};

// Outcome of decoding a header candidate at the start of `data`.
struct Decoded {
  enum Kind { summary, need_more, invalid } kind = invalid;
  std::size_t needed = 0;  // need_more: bytes from the candidate's start
  std::string text;        // summary
};

// Decodes an unsigned LEB128 varint at data[pos]; nullopt when truncated or too long.
std::optional<std::uint64_t> uvarint(std::string_view data, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64 && pos < data.size(); shift += 7) {
    auto byte = static_cast<unsigned char>(data[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

Decoded decode(std::string_view data) {
  Decoded need{Decoded::need_more, 0, {}};
  if (data.size() < kHeaderSize) {
    need.needed = kHeaderSize;
    return need;
  }
  auto pointer_size = static_cast<unsigned char>(data[14]);
  auto flags = static_cast<unsigned char>(data[15]);
  // A pre-1.18 header (pointers) is not supported; it also rejects stray copies of the magic.
  if ((pointer_size != 4 && pointer_size != 8) || (flags & kFlagsInline) == 0) return {};
  std::size_t pos = kHeaderSize;
  std::array<std::string_view, 2> strings;
  const std::array<std::size_t, 2> limits = {kMaxVersion, kMaxModinfo};
  for (std::size_t i = 0; i < strings.size(); ++i) {
    std::size_t start = pos;
    auto length = uvarint(data, pos);
    if (!length) {
      if (data.size() - start >= 10) return {};  // longer than any uint64 varint
      need.needed = start + 10;
      return need;
    }
    if (*length > limits[i]) return {};
    if (data.size() - pos < *length) {
      need.needed = pos + *length;
      return need;
    }
    strings[i] = data.substr(pos, *length);
    pos += *length;
  }
  std::string_view version = strings[0];
  if (!version.starts_with("go") && !version.starts_with("devel")) return {};
  if (version.find_first_of("\n\t", 0) != std::string_view::npos) return {};
  std::string_view modinfo = strings[1];
  // The module info is framed by two 16-byte sentinels (cmd/go's infoStart and infoEnd).
  if (modinfo.size() >= 33 && modinfo[modinfo.size() - 17] == '\n') {
    modinfo = modinfo.substr(16, modinfo.size() - 32);
  } else {
    modinfo = {};
  }
  Decoded out;
  out.kind = Decoded::summary;
  out.text.reserve(kSummaryGoPrefix.size() + version.size() + 1 + modinfo.size());
  out.text.append(kSummaryGoPrefix).append(version).append("\n").append(modinfo);
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

bool iends_with(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), text.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b); });
}

// "1.2.3", "v1.2.3-rc.1+meta": what a -X ...version= value must look like to be taken.
bool looks_like_version(std::string_view value) {
  if (value.starts_with('v')) value.remove_prefix(1);
  if (value.empty() || value.front() < '0' || value.front() > '9' ||
      value.find('.') == std::string_view::npos) {
    return false;
  }
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '-' || c == '+';
  });
}

// Splits a -ldflags value into arguments as the go command does (spaces, '...' and "...").
std::vector<std::string> split_arguments(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool in_argument = false;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        current += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_argument = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_argument) out.push_back(std::move(current));
      current.clear();
      in_argument = false;
    } else {
      current += c;
      in_argument = true;
    }
  }
  if (in_argument) out.push_back(std::move(current));
  return out;
}

// The version a build stamped into the main package with -ldflags "-X main.version=1.2.3"
// (a key ending in ".version" or ".ver", as Trivy reads it), or "".
std::string version_from_ldflags(std::string_view setting) {
  // setting: -ldflags=<value>, the value quoted Go-style when it holds spaces.
  std::string value;
  if (setting.starts_with('"')) {
    for (std::size_t i = 1; i < setting.size() && setting[i] != '"'; ++i) {
      if (setting[i] == '\\' && i + 1 < setting.size()) ++i;
      value += setting[i];
    }
  } else {
    value = setting;
  }
  std::vector<std::string> arguments = split_arguments(value);
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    std::string_view argument = arguments[i];
    std::string_view assignment;
    if ((argument == "-X" || argument == "--X") && i + 1 < arguments.size()) {
      assignment = arguments[++i];
    } else if (argument.starts_with("-X=")) {
      assignment = argument.substr(3);
    } else if (argument.starts_with("--X=")) {
      assignment = argument.substr(4);
    } else {
      continue;
    }
    auto equals = assignment.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view key = assignment.substr(0, equals);
    std::string_view version = assignment.substr(equals + 1);
    if ((iends_with(key, ".version") || iends_with(key, ".ver")) && looks_like_version(version)) {
      return std::string(version);
    }
  }
  return {};
}

}  // namespace

base::Result<std::optional<std::string>> summarize_go_binary(image::Content& content) {
  Window window(content);
  if (auto status = window.fill(4); !status) return std::move(status).error();
  if (!executable_magic(window.bytes())) return std::optional<std::string>{};
  const std::boyer_moore_horspool_searcher searcher(kMagic.begin(), kMagic.end());
  std::size_t from = 0;  // where the search resumes in the window
  while (true) {
    std::string& bytes = window.bytes();
    auto found = std::search(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end(), searcher);
    if (found == bytes.end()) {
      if (window.eof()) return std::optional<std::string>{};
      // Keep the tail that may hold the start of a magic straddling the next read.
      std::size_t keep = std::min(bytes.size(), kMagic.size() - 1);
      window.discard(bytes.size() - keep);
      from = 0;
      if (auto status = window.read_chunk(); !status) return std::move(status).error();
      continue;
    }
    std::size_t at = static_cast<std::size_t>(found - bytes.begin());
    window.discard(at);  // the candidate now starts the window
    while (true) {
      Decoded decoded = decode(window.bytes());
      if (decoded.kind == Decoded::summary) return std::optional<std::string>(std::move(decoded.text));
      if (decoded.kind == Decoded::need_more && !window.eof() && decoded.needed > window.bytes().size()) {
        if (auto status = window.fill(decoded.needed); !status) return std::move(status).error();
        continue;
      }
      break;  // not a header (or truncated at the end of the file): search on
    }
    from = 1;
  }
}

base::Result<std::vector<Package>> parse_go_summary(std::string_view summary, std::string_view path) {
  if (!summary.starts_with(kSummaryGoPrefix)) {
    return base::make_error(base::Errc::corrupt, std::string(path) + ": not a Go build info summary");
  }
  std::vector<std::string_view> lines = split(summary, '\n');
  std::string go_version(lines[0].substr(kSummaryGoPrefix.size()));
  std::vector<Package> out;
  auto make = [](std::string_view name, std::string_view version) {
    Package package;
    package.type = PackageType::gobinary;
    package.name = name;
    package.version = version;
    return package;
  };
  // "go1.21.5" or "go1.22.0 X:boringcrypto" -> stdlib 1.21.5; a "devel ..." toolchain has no version.
  if (go_version.starts_with("go")) {
    std::string_view version = std::string_view(go_version).substr(2);
    version = version.substr(0, version.find(' '));
    if (!version.empty()) out.push_back(make("stdlib", version));
  }
  std::optional<std::size_t> main_index;
  std::optional<std::size_t> last;  // the module a "=>" line replaces
  std::string ldflags_version;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string_view> fields = split(lines[i], '\t');
    std::string_view kind = fields[0];
    std::string_view module_path = fields.size() > 1 ? fields[1] : std::string_view{};
    std::string_view version = fields.size() > 2 ? fields[2] : std::string_view{};
    if (kind == "mod" || kind == "dep") {
      last.reset();
      if (module_path.empty()) continue;  // old toolchains sometimes listed an empty module
      if (kind == "mod") main_index = out.size();
      last = out.size();
      out.push_back(make(module_path, version));
    } else if (kind == "=>") {
      if (last && !module_path.empty()) {
        if (module_path.starts_with("./") || module_path.starts_with("../") || module_path.starts_with('/')) {
          // Replaced by a local directory ("(devel)"): the code is no published version of
          // anything. Keep the module's path with no version (Trivy would list "./dir (devel)").
          out[*last].version.clear();
        } else {
          out[*last].name = module_path;
          out[*last].version = version;
        }
      }
      last.reset();
    } else if (kind == "build") {
      if (module_path.starts_with("-ldflags=") && ldflags_version.empty()) {
        ldflags_version = version_from_ldflags(lines[i].substr(lines[i].find("-ldflags=") + 9));
      }
    }
  }
  // The main module built from a checkout is "(devel)": use a version stamped by -ldflags, else "".
  if (main_index && (out[*main_index].version == "(devel)" || out[*main_index].version.empty())) {
    out[*main_index].version = ldflags_version;
  }
  return out;
}

}  // namespace berth::inventory::detail
