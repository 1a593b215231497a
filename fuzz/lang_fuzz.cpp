// The language package parsers of the scanner (inventory/analyzers.h): package-lock.json and
// node_modules package.json, Python METADATA/PKG-INFO, Cargo.lock, gemspecs, and the streaming
// summaries of Go binaries (build info) and Java archives (zip, nested jars), each followed by
// the parse of the summary it made.
// Input: a file; every parser reads it.
// Checks: a summary the scanner made is one its parser accepts (a scan stores the summary while
// reading the layer and parses it afterwards); every package has a name.
#include <algorithm>
#include <span>

#include "fuzz_support.h"
#include "inventory/analyzers.h"

namespace {

using namespace berth;
namespace detail = inventory::detail;

// A file's content as a layer reader would hand it over, in reads of at most 4 KiB.
class MemoryContent final : public image::Content {
 public:
  explicit MemoryContent(std::string_view bytes) : bytes_(bytes) {}
  base::Result<std::size_t> read(std::span<char> out) override {
    const std::size_t n = std::min({out.size(), bytes_.size(), std::size_t{4096}});
    std::copy_n(bytes_.data(), n, out.data());
    bytes_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view bytes_;
};

void check(const base::Result<std::vector<inventory::Package>>& packages) {
  if (!packages) return;  // an unreadable language manifest is a warning of the scan
  for (const auto& p : *packages) FUZZ_CHECK(!p.name.empty());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  check(detail::parse_package_lock(text, "app/package-lock.json"));
  check(detail::parse_package_json(text, "app/node_modules/x/package.json"));
  check(detail::parse_python_metadata(text, "usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA"));
  check(detail::parse_cargo_lock(text, "app/Cargo.lock"));
  check(detail::parse_gemspec(text, "usr/share/gems/specifications/x-1.0.gemspec"));

  MemoryContent go_binary(text);
  auto go = detail::summarize_go_binary(go_binary);
  FUZZ_CHECK(go.ok());  // content reads never fail here; a file that is no Go binary gives nothing
  if (*go) {
    auto packages = detail::parse_go_summary(**go, "usr/bin/app");
    FUZZ_CHECK(packages.ok());
    check(packages);
  }
  MemoryContent java_archive(text);
  auto java = detail::summarize_java_archive(java_archive, "app/lib/x-1.0.jar");
  FUZZ_CHECK(java.ok());
  if (*java) {
    auto packages = detail::parse_java_summary(**java, "app/lib/x-1.0.jar");
    FUZZ_CHECK(packages.ok());
    check(packages);
  }
  return 0;
}
