// Version orders of every ecosystem (version/compare.h) and CVSS vectors (vulndb/importers.h),
// which the importers and the matcher read from untrusted advisories and package databases.
// Input: up to three versions, one per line; the first line is also read as a CVSS vector.
// Checks: each order is one: a version equals itself, a < b exactly when b > a, and among
// versions the scheme calls valid a <= b <= c implies a <= c. Transitivity is not checked for
// text a scheme calls invalid (the fallback rules follow OSV's reference implementation, which
// is not transitive either), for Maven, whose ComparableVersion is not transitive itself
// ("g" < "0.a00.." < "0.0" < "g" in Maven 3.9 too), nor for apk, whose valid() follows
// apk-tools' tokenizer while its order follows OSV's reference, which reads some versions
// apk-tools accepts ("1r3") as invalid ("1r3" > "1.1.r3" > "1.1." < "1r3"). The code that sorts
// versions uses stable sorts, which stay in bounds whatever the answers. A CVSS score is
// within 0..10.
#include <array>

#include "fuzz_support.h"
#include "version/compare.h"
#include "vulndb/importers.h"

namespace {

using namespace berth;

constexpr std::array kSchemes = {version::Scheme::dpkg,    version::Scheme::apk,    version::Scheme::rpm,
                                 version::Scheme::semver,  version::Scheme::pep440, version::Scheme::maven,
                                 version::Scheme::rubygems};

int sign(int v) {
  return (v > 0) - (v < 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [a, rest] = fuzz::split_once(fuzz::as_text(data, size), '\n');
  const auto [b, c] = fuzz::split_once(rest, '\n');
  for (const auto scheme : kSchemes) {
    const int ab = sign(version::compare(scheme, a, b));
    const bool reflexive = version::compare(scheme, a, a) == 0;
    const bool antisymmetric = ab == -sign(version::compare(scheme, b, a));
    bool transitive = true;
    const bool total = scheme != version::Scheme::maven && scheme != version::Scheme::apk;
    if (total && version::valid(scheme, a) && version::valid(scheme, b) && version::valid(scheme, c)) {
      const int bc = sign(version::compare(scheme, b, c));
      const int ac = sign(version::compare(scheme, a, c));
      transitive = !(ab <= 0 && bc <= 0 && ac > 0) && !(ab >= 0 && bc >= 0 && ac < 0);
    }
    if (!reflexive || !antisymmetric || !transitive) {
      std::fprintf(stderr, "version scheme %d (version/compare.h order)\n", static_cast<int>(scheme));
      FUZZ_CHECK(reflexive);
      FUZZ_CHECK(antisymmetric);
      FUZZ_CHECK(transitive);
    }
  }
  (void)version::scheme_for_ecosystem(a);
  for (auto score : {vulndb::cvss3_base_score(a), vulndb::cvss4_base_score(a)}) {
    if (score) FUZZ_CHECK(*score >= 0.0 && *score <= 10.0);
  }
  return 0;
}
