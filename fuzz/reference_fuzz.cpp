// Digests, repository names, tags and the /v2 paths that carry them (oci/digest.h, oci/names.h,
// api/oci/paths.h). Input: one string, tried as each of them.
// Checks: a parsed digest prints back as its input (the grammar is canonical); names and tags
// are accepted exactly when the distribution spec's regular expressions match them; a parsed
// path's name is the text between "/v2/" and its resource keyword.
#include <regex>

#include "api/oci/paths.h"
#include "fuzz_support.h"
#include "oci/digest.h"
#include "oci/names.h"

namespace {

using namespace berth;

// The distribution spec's grammar, as regular expressions (std::regex recurses per character,
// so only inputs of a few hundred bytes are matched against them).
constexpr std::size_t kMaxRegexInput = 300;
const std::regex& name_regex() {
  static const std::regex re("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
  return re;
}
const std::regex& tag_regex() {
  static const std::regex re("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
  return re;
}

void check_digest(std::string_view text) {
  auto digest = oci::Digest::parse(text);
  if (!digest) {
    const auto code = digest.error().code;
    FUZZ_CHECK(code == base::Errc::invalid_argument || code == base::Errc::unsupported);
    return;
  }
  FUZZ_CHECK(digest->str() == text);
  FUZZ_CHECK(oci::looks_like_digest(text));
  const std::size_t hex = digest->algorithm() == oci::DigestAlgorithm::sha256 ? 64 : 128;
  FUZZ_CHECK(digest->hex().size() == hex);
}

void check_names(std::string_view text) {
  const bool name = oci::valid_repository_name(text);
  const bool tag = oci::valid_tag(text);
  if (text.size() > kMaxRegexInput) {
    FUZZ_CHECK(!name && !tag);
    return;
  }
  const std::string s(text);
  FUZZ_CHECK(name == (text.size() <= 255 && std::regex_match(s, name_regex())));
  FUZZ_CHECK(tag == std::regex_match(s, tag_regex()));
  if (tag) FUZZ_CHECK(!oci::looks_like_digest(text));
}

void check_path(std::string_view path) {
  const api::oci::ParsedPath parsed = api::oci::parse_path(path);
  using api::oci::Resource;
  switch (parsed.resource) {
    case Resource::base:
    case Resource::catalog:
    case Resource::unknown:
      FUZZ_CHECK(parsed.name.empty() && parsed.reference.empty());
      return;
    case Resource::upload_start:
    case Resource::tags:
      FUZZ_CHECK(parsed.reference.empty());
      break;
    case Resource::blob:
    case Resource::upload:
    case Resource::manifest:
    case Resource::referrers:
      FUZZ_CHECK(!parsed.reference.empty());
      break;
  }
  FUZZ_CHECK(path.starts_with("/v2/"));
  FUZZ_CHECK(path.substr(4).starts_with(parsed.name));
  FUZZ_CHECK(path.size() > 4 + parsed.name.size() && path[4 + parsed.name.size()] == '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  check_digest(text);
  check_names(text);
  check_path(text);
  check_path("/v2/" + std::string(text));
  return 0;
}
