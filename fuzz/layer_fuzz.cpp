// Image layers (image/layers.h: tar, gzip or zstd, whiteouts across layers) read with the
// scanner's own selector, then the kept files analyzed (inventory::analyze): what a scan does
// with a pushed image, minus the vulnerability lookup.
// Input: one layer blob as pushed; several when separated by kLayerSeparator (bottom first).
// Limits are smaller than the scanner's defaults so that a bomb is stopped in milliseconds;
// they are enforced by the same code.
// Checks: every kept path is normalised (relative, no "." or ".." segments, no empty segment);
// a failed walk says why with one of the documented kinds; the inventory's text is UTF-8 (it
// is stored and served as JSON).
#include <vector>

#include "base/utf8.h"
#include "fuzz_support.h"
#include "image/layers.h"
#include "inventory/inventory.h"

namespace {

using namespace berth;

constexpr std::string_view kLayerSeparator = "\n--berth-fuzz-next-layer--\n";

bool normalised(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  std::vector<std::unique_ptr<fuzz::MemoryFile>> files;
  std::vector<image::Layer> layers;
  while (true) {
    const auto at = input.find(kLayerSeparator);
    files.push_back(std::make_unique<fuzz::MemoryFile>(input.substr(0, at)));
    image::Layer layer;
    layer.fd = files.back()->fd();
    layers.push_back(layer);
    if (at == std::string_view::npos || layers.size() == 8) break;
    input.remove_prefix(at + kLayerSeparator.size());
  }
  image::Limits limits;
  limits.max_expanded_bytes = 32ull << 20;
  limits.max_entries = 10'000;
  limits.max_kept_bytes = 8ull << 20;
  auto snapshot = image::read_layers(layers, inventory::selector(), limits);
  if (!snapshot) {
    const auto code = snapshot.error().code;
    FUZZ_CHECK(code == base::Errc::corrupt || code == base::Errc::too_large ||
               code == base::Errc::invalid_argument);
    return 0;
  }
  for (const auto& [path, kept] : *snapshot) {
    FUZZ_CHECK(normalised(path));
    FUZZ_CHECK(kept.entry.path == path);
  }
  auto found = inventory::analyze(*snapshot);
  if (!found) {
    const auto code = found.error().code;
    FUZZ_CHECK(code == base::Errc::corrupt || code == base::Errc::too_large);
    return 0;
  }
  FUZZ_CHECK(base::is_valid_utf8(found->os.pretty_name) && base::is_valid_utf8(found->os.version));
  for (const auto& p : found->packages) {
    FUZZ_CHECK(base::is_valid_utf8(p.name) && base::is_valid_utf8(p.version) &&
               base::is_valid_utf8(p.source_version) && base::is_valid_utf8(p.licenses));
  }
  for (const auto& warning : found->warnings) FUZZ_CHECK(base::is_valid_utf8(warning));
  return 0;
}
