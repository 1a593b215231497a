// CVSS base scores from vector strings.
//
// v3.0 / v3.1: the base equations of the CVSS v3.1 specification (section 7.1), with Roundup as
// defined in its Appendix A (integer arithmetic, so that 4.000000000000001 is 4.0, not 4.1). The
// base equations of v3.0 and v3.1 are the same; v3.1 only redefined Roundup, and we use the v3.1
// one for both, as NVD does.
//
// v4.0: the MacroVector algorithm of the CVSS v4.0 specification (section 8) as the FIRST
// calculator implements it: the vector is reduced to six equivalence-class levels (EQ1..EQ6), the
// MacroVector's score comes from the expert-ranked lookup table, and the score is lowered by the
// mean, over the EQs that have a lower MacroVector, of (score difference to that MacroVector) x
// (the vector's severity distance from the MacroVector's highest vectors / the MacroVector's depth).
// The arithmetic is done in doubles in the calculator's order, with its epsilon before the final
// rounding, so that results round identically.
// Threat (E) and environmental metrics (CR/IR/AR, M*) are honoured when present, as in the
// calculator, so a vector carrying them gives its CVSS-BT/BE/BTE score.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vulndb/importers.h"

namespace berth::vulndb {
namespace {

// "CVSS:3.1/AV:N/..." -> the metric pairs after the prefix; nothing when the text is not
// prefix/KEY:VALUE/... or a key repeats.
std::optional<std::map<std::string, std::string, std::less<>>> split_vector(std::string_view vector,
                                                                            std::string_view prefix) {
  while (!vector.empty() && (vector.front() == ' ' || vector.front() == '\t')) vector.remove_prefix(1);
  while (!vector.empty() &&
         (vector.back() == ' ' || vector.back() == '\t' || vector.back() == '\n' || vector.back() == '\r'))
    vector.remove_suffix(1);
  if (vector.substr(0, prefix.size()) != prefix) return std::nullopt;
  vector.remove_prefix(prefix.size());
  if (vector.empty() || vector.front() != '/') return std::nullopt;
  vector.remove_prefix(1);
  std::map<std::string, std::string, std::less<>> metrics;
  while (true) {
    auto slash = vector.find('/');
    std::string_view part = vector.substr(0, slash);
    auto colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) return std::nullopt;
    auto [it, inserted] =
        metrics.emplace(std::string(part.substr(0, colon)), std::string(part.substr(colon + 1)));
    if (!inserted) return std::nullopt;
    if (slash == std::string_view::npos) break;
    vector.remove_prefix(slash + 1);
  }
  return metrics;
}

// ---- CVSS v3 -------------------------------------------------------------------------------

// CVSS v3.1 Appendix A.
double roundup(double value) {
  auto int_input = static_cast<std::int64_t>(std::llround(value * 100000.0));
  if (int_input % 10000 == 0) return static_cast<double>(int_input) / 100000.0;
  return static_cast<double>(int_input / 10000 + 1) / 10.0;
}

std::optional<double> weight(const std::map<std::string, std::string, std::less<>>& m, std::string_view key,
                             std::initializer_list<std::pair<std::string_view, double>> table) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  for (const auto& [value, w] : table) {
    if (it->second == value) return w;
  }
  return std::nullopt;
}

// ---- CVSS v4 -------------------------------------------------------------------------------

// Scores of the MacroVectors (EQ1..EQ6 levels as six digits), from the CVSS v4.0 specification's
// expert ranking (as published with FIRST's calculator). Combinations that cannot occur are absent.
struct MacroScore {
  const char* macro;
  double score;
};
constexpr MacroScore kMacroScores[] = {
    {"000000", 10},  {"000001", 9.9}, {"000010", 9.8}, {"000011", 9.5}, {"000020", 9.5}, {"000021", 9.2},
    {"000100", 10},  {"000101", 9.6}, {"000110", 9.3}, {"000111", 8.7}, {"000120", 9.1}, {"000121", 8.1},
    {"000200", 9.3}, {"000201", 9},   {"000210", 8.9}, {"000211", 8},   {"000220", 8.1}, {"000221", 6.8},
    {"001000", 9.8}, {"001001", 9.5}, {"001010", 9.5}, {"001011", 9.2}, {"001020", 9},   {"001021", 8.4},
    {"001100", 9.3}, {"001101", 9.2}, {"001110", 8.9}, {"001111", 8.1}, {"001120", 8.1}, {"001121", 6.5},
    {"001200", 8.8}, {"001201", 8},   {"001210", 7.8}, {"001211", 7},   {"001220", 6.9}, {"001221", 4.8},
    {"002001", 9.2}, {"002011", 8.2}, {"002021", 7.2}, {"002101", 7.9}, {"002111", 6.9}, {"002121", 5},
    {"002201", 6.9}, {"002211", 5.5}, {"002221", 2.7}, {"010000", 9.9}, {"010001", 9.7}, {"010010", 9.5},
    {"010011", 9.2}, {"010020", 9.2}, {"010021", 8.5}, {"010100", 9.5}, {"010101", 9.1}, {"010110", 9},
    {"010111", 8.3}, {"010120", 8.4}, {"010121", 7.1}, {"010200", 9.2}, {"010201", 8.1}, {"010210", 8.2},
    {"010211", 7.1}, {"010220", 7.2}, {"010221", 5.3}, {"011000", 9.5}, {"011001", 9.3}, {"011010", 9.2},
    {"011011", 8.5}, {"011020", 8.5}, {"011021", 7.3}, {"011100", 9.2}, {"011101", 8.2}, {"011110", 8},
    {"011111", 7.2}, {"011120", 7},   {"011121", 5.9}, {"011200", 8.4}, {"011201", 7},   {"011210", 7.1},
    {"011211", 5.2}, {"011220", 5},   {"011221", 3},   {"012001", 8.6}, {"012011", 7.5}, {"012021", 5.2},
    {"012101", 7.1}, {"012111", 5.2}, {"012121", 2.9}, {"012201", 6.3}, {"012211", 2.9}, {"012221", 1.7},
    {"100000", 9.8}, {"100001", 9.5}, {"100010", 9.4}, {"100011", 8.7}, {"100020", 9.1}, {"100021", 8.1},
    {"100100", 9.4}, {"100101", 8.9}, {"100110", 8.6}, {"100111", 7.4}, {"100120", 7.7}, {"100121", 6.4},
    {"100200", 8.7}, {"100201", 7.5}, {"100210", 7.4}, {"100211", 6.3}, {"100220", 6.3}, {"100221", 4.9},
    {"101000", 9.4}, {"101001", 8.9}, {"101010", 8.8}, {"101011", 7.7}, {"101020", 7.6}, {"101021", 6.7},
    {"101100", 8.6}, {"101101", 7.6}, {"101110", 7.4}, {"101111", 5.8}, {"101120", 5.9}, {"101121", 5},
    {"101200", 7.2}, {"101201", 5.7}, {"101210", 5.7}, {"101211", 5.2}, {"101220", 5.2}, {"101221", 2.5},
    {"102001", 8.3}, {"102011", 7},   {"102021", 5.4}, {"102101", 6.5}, {"102111", 5.8}, {"102121", 2.6},
    {"102201", 5.3}, {"102211", 2.1}, {"102221", 1.3}, {"110000", 9.5}, {"110001", 9},   {"110010", 8.8},
    {"110011", 7.6}, {"110020", 7.6}, {"110021", 7},   {"110100", 9},   {"110101", 7.7}, {"110110", 7.5},
    {"110111", 6.2}, {"110120", 6.1}, {"110121", 5.3}, {"110200", 7.7}, {"110201", 6.6}, {"110210", 6.8},
    {"110211", 5.9}, {"110220", 5.2}, {"110221", 3},   {"111000", 8.9}, {"111001", 7.8}, {"111010", 7.6},
    {"111011", 6.7}, {"111020", 6.2}, {"111021", 5.8}, {"111100", 7.4}, {"111101", 5.9}, {"111110", 5.7},
    {"111111", 5.7}, {"111120", 4.7}, {"111121", 2.3}, {"111200", 6.1}, {"111201", 5.2}, {"111210", 5.7},
    {"111211", 2.9}, {"111220", 2.4}, {"111221", 1.6}, {"112001", 7.1}, {"112011", 5.9}, {"112021", 3},
    {"112101", 5.8}, {"112111", 2.6}, {"112121", 1.5}, {"112201", 2.3}, {"112211", 1.3}, {"112221", 0.6},
    {"200000", 9.3}, {"200001", 8.7}, {"200010", 8.6}, {"200011", 7.2}, {"200020", 7.5}, {"200021", 5.8},
    {"200100", 8.6}, {"200101", 7.4}, {"200110", 7.4}, {"200111", 6.1}, {"200120", 5.6}, {"200121", 3.4},
    {"200200", 7},   {"200201", 5.4}, {"200210", 5.2}, {"200211", 4},   {"200220", 4},   {"200221", 2.2},
    {"201000", 8.5}, {"201001", 7.5}, {"201010", 7.4}, {"201011", 5.5}, {"201020", 6.2}, {"201021", 5.1},
    {"201100", 7.2}, {"201101", 5.7}, {"201110", 5.5}, {"201111", 4.1}, {"201120", 4.6}, {"201121", 1.9},
    {"201200", 5.3}, {"201201", 3.6}, {"201210", 3.4}, {"201211", 1.9}, {"201220", 1.9}, {"201221", 0.8},
    {"202001", 6.4}, {"202011", 5.1}, {"202021", 2},   {"202101", 4.7}, {"202111", 2.1}, {"202121", 1.1},
    {"202201", 2.4}, {"202211", 0.9}, {"202221", 0.4}, {"210000", 8.8}, {"210001", 7.5}, {"210010", 7.3},
    {"210011", 5.3}, {"210020", 6},   {"210021", 5},   {"210100", 7.3}, {"210101", 5.5}, {"210110", 5.9},
    {"210111", 4},   {"210120", 4.1}, {"210121", 2},   {"210200", 5.4}, {"210201", 4.3}, {"210210", 4.5},
    {"210211", 2.2}, {"210220", 2},   {"210221", 1.1}, {"211000", 7.5}, {"211001", 5.5}, {"211010", 5.8},
    {"211011", 4.5}, {"211020", 4},   {"211021", 2.1}, {"211100", 6.1}, {"211101", 5.1}, {"211110", 4.8},
    {"211111", 1.8}, {"211120", 2},   {"211121", 0.9}, {"211200", 4.6}, {"211201", 1.8}, {"211210", 1.7},
    {"211211", 0.7}, {"211220", 0.8}, {"211221", 0.2}, {"212001", 5.3}, {"212011", 2.4}, {"212021", 1.4},
    {"212101", 2.4}, {"212111", 1.2}, {"212121", 0.5}, {"212201", 1},   {"212211", 0.3}, {"212221", 0.1},
};

// Levels are indices 0..5 per EQ; -1 outside the table.
std::optional<double> macro_score(int eq1, int eq2, int eq3, int eq4, int eq5, int eq6) {
  const int digits[] = {eq1, eq2, eq3, eq4, eq5, eq6};
  char key[7] = {};
  for (int i = 0; i < 6; ++i) {
    if (digits[i] < 0 || digits[i] > 9) return std::nullopt;
    key[i] = static_cast<char>('0' + digits[i]);
  }
  for (const auto& m : kMacroScores) {
    if (std::string_view(m.macro) == std::string_view(key, 6)) return m.score;
  }
  return std::nullopt;
}

// The metrics of a v4 vector and the values each may take (the specification's order; the
// first 11 are mandatory).
struct MetricSpec {
  std::string_view key;
  std::string_view values;  // the allowed values, '|'-separated
};
const MetricSpec kV4Metrics[] = {
    {"AV", "N|A|L|P"},    {"AC", "L|H"},        {"AT", "N|P"},      {"PR", "N|L|H"},
    {"UI", "N|P|A"},      {"VC", "H|L|N"},      {"VI", "H|L|N"},    {"VA", "H|L|N"},
    {"SC", "H|L|N"},      {"SI", "H|L|N"},      {"SA", "H|L|N"},    {"E", "X|A|P|U"},
    {"CR", "X|H|M|L"},    {"IR", "X|H|M|L"},    {"AR", "X|H|M|L"},  {"MAV", "X|N|A|L|P"},
    {"MAC", "X|L|H"},     {"MAT", "X|N|P"},     {"MPR", "X|N|L|H"}, {"MUI", "X|N|P|A"},
    {"MVC", "X|H|L|N"},   {"MVI", "X|H|L|N"},   {"MVA", "X|H|L|N"}, {"MSC", "X|H|L|N"},
    {"MSI", "X|S|H|L|N"}, {"MSA", "X|S|H|L|N"}, {"S", "X|N|P"},     {"AU", "X|N|Y"},
    {"R", "X|A|U|I"},     {"V", "X|D|C"},       {"RE", "X|L|M|H"},  {"U", "X|Clear|Green|Amber|Red"},
};
constexpr std::size_t kV4Mandatory = 11;

class V4 {
 public:
  explicit V4(std::map<std::string, std::string, std::less<>> metrics) : m_(std::move(metrics)) {}

  // The value the scoring uses: a modified (M*) metric overrides its base metric, and the
  // unset requirement and threat metrics take their worst case.
  std::string_view get(std::string_view metric) const {
    std::string_view selected = raw(metric);
    if (selected == "X") {
      if (metric == "E") return "A";
      if (metric == "CR" || metric == "IR" || metric == "AR") return "H";
    }
    if (metric.size() == 2 || metric.size() == 1) {
      std::string modified = "M" + std::string(metric);
      std::string_view mv = raw(modified);
      if (!mv.empty() && mv != "X") return mv;
    }
    return selected;
  }

 private:
  std::string_view raw(std::string_view metric) const {
    auto it = m_.find(metric);
    if (it == m_.end()) return "X";
    return it->second;
  }
  std::map<std::string, std::string, std::less<>> m_;
};

// Severity levels per metric, in tenths as the calculator writes them (0.0, 0.1, ...), so that
// the sums below are computed on the same doubles.
double level(std::string_view metric, std::string_view value) {
  struct L {
    std::string_view metric, value;
    double level;
  };
  static const L table[] = {
      {"AV", "N", 0.0}, {"AV", "A", 0.1}, {"AV", "L", 0.2}, {"AV", "P", 0.3}, {"PR", "N", 0.0},
      {"PR", "L", 0.1}, {"PR", "H", 0.2}, {"UI", "N", 0.0}, {"UI", "P", 0.1}, {"UI", "A", 0.2},
      {"AC", "L", 0.0}, {"AC", "H", 0.1}, {"AT", "N", 0.0}, {"AT", "P", 0.1}, {"VC", "H", 0.0},
      {"VC", "L", 0.1}, {"VC", "N", 0.2}, {"VI", "H", 0.0}, {"VI", "L", 0.1}, {"VI", "N", 0.2},
      {"VA", "H", 0.0}, {"VA", "L", 0.1}, {"VA", "N", 0.2}, {"SC", "H", 0.1}, {"SC", "L", 0.2},
      {"SC", "N", 0.3}, {"SI", "S", 0.0}, {"SI", "H", 0.1}, {"SI", "L", 0.2}, {"SI", "N", 0.3},
      {"SA", "S", 0.0}, {"SA", "H", 0.1}, {"SA", "L", 0.2}, {"SA", "N", 0.3}, {"CR", "H", 0.0},
      {"CR", "M", 0.1}, {"CR", "L", 0.2}, {"IR", "H", 0.0}, {"IR", "M", 0.1}, {"IR", "L", 0.2},
      {"AR", "H", 0.0}, {"AR", "M", 0.1}, {"AR", "L", 0.2}, {"E", "U", 0.2},  {"E", "P", 0.1},
      {"E", "A", 0.0},
  };
  for (const auto& l : table) {
    if (l.metric == metric && l.value == value) return l.level;
  }
  return 0.0;
}

// The highest-severity vectors of each EQ level (specification's "max composed" table), as
// metric:value lists. EQ3 is keyed by EQ3 and EQ6 together.
using Parts = std::vector<std::vector<std::pair<std::string_view, std::string_view>>>;

const Parts& eq1_maxes(int eq1) {
  static const Parts l0 = {{{"AV", "N"}, {"PR", "N"}, {"UI", "N"}}};
  static const Parts l1 = {{{"AV", "A"}, {"PR", "N"}, {"UI", "N"}},
                           {{"AV", "N"}, {"PR", "L"}, {"UI", "N"}},
                           {{"AV", "N"}, {"PR", "N"}, {"UI", "P"}}};
  static const Parts l2 = {{{"AV", "P"}, {"PR", "N"}, {"UI", "N"}}, {{"AV", "A"}, {"PR", "L"}, {"UI", "P"}}};
  return eq1 == 0 ? l0 : eq1 == 1 ? l1 : l2;
}
const Parts& eq2_maxes(int eq2) {
  static const Parts l0 = {{{"AC", "L"}, {"AT", "N"}}};
  static const Parts l1 = {{{"AC", "H"}, {"AT", "N"}}, {{"AC", "L"}, {"AT", "P"}}};
  return eq2 == 0 ? l0 : l1;
}
const Parts& eq3eq6_maxes(int eq3, int eq6) {
  using P = std::vector<std::pair<std::string_view, std::string_view>>;
  auto v = [](std::string_view vc, std::string_view vi, std::string_view va, std::string_view cr,
              std::string_view ir, std::string_view ar) {
    return P{{"VC", vc}, {"VI", vi}, {"VA", va}, {"CR", cr}, {"IR", ir}, {"AR", ar}};
  };
  static const Parts l00 = {v("H", "H", "H", "H", "H", "H")};
  static const Parts l01 = {v("H", "H", "L", "M", "M", "H"), v("H", "H", "H", "M", "M", "M")};
  static const Parts l10 = {v("L", "H", "H", "H", "H", "H"), v("H", "L", "H", "H", "H", "H")};
  static const Parts l11 = {v("L", "H", "L", "H", "M", "H"), v("L", "H", "H", "H", "M", "M"),
                            v("H", "L", "H", "M", "H", "M"), v("H", "L", "L", "M", "H", "H"),
                            v("L", "L", "H", "H", "H", "M")};
  static const Parts l21 = {v("L", "L", "L", "H", "H", "H")};
  static const Parts none;
  if (eq3 == 0) return eq6 == 0 ? l00 : l01;
  if (eq3 == 1) return eq6 == 0 ? l10 : l11;
  if (eq3 == 2 && eq6 == 1) return l21;
  return none;
}
const Parts& eq4_maxes(int eq4) {
  static const Parts l0 = {{{"SC", "H"}, {"SI", "S"}, {"SA", "S"}}};
  static const Parts l1 = {{{"SC", "H"}, {"SI", "H"}, {"SA", "H"}}};
  static const Parts l2 = {{{"SC", "L"}, {"SI", "L"}, {"SA", "L"}}};
  return eq4 == 0 ? l0 : eq4 == 1 ? l1 : l2;
}

// Depth of each MacroVector (largest severity distance inside it, +1), in steps.
int max_severity_eq1(int eq1) {
  return eq1 == 0 ? 1 : eq1 == 1 ? 4 : 5;
}
int max_severity_eq2(int eq2) {
  return eq2 == 0 ? 1 : 2;
}
int max_severity_eq3eq6(int eq3, int eq6) {
  if (eq3 == 0) return eq6 == 0 ? 7 : 6;
  if (eq3 == 1) return 8;
  return 10;
}
int max_severity_eq4(int eq4) {
  return eq4 == 0 ? 6 : eq4 == 1 ? 5 : 4;
}

}  // namespace

std::optional<double> cvss3_base_score(std::string_view vector) {
  auto parsed = split_vector(vector, "CVSS:3.1");
  if (!parsed) parsed = split_vector(vector, "CVSS:3.0");
  if (!parsed) return std::nullopt;
  const auto& m = *parsed;

  auto scope_it = m.find("S");
  if (scope_it == m.end() || (scope_it->second != "U" && scope_it->second != "C")) return std::nullopt;
  const bool changed = scope_it->second == "C";

  auto av = weight(m, "AV", {{"N", 0.85}, {"A", 0.62}, {"L", 0.55}, {"P", 0.2}});
  auto ac = weight(m, "AC", {{"L", 0.77}, {"H", 0.44}});
  auto pr = changed ? weight(m, "PR", {{"N", 0.85}, {"L", 0.68}, {"H", 0.5}})
                    : weight(m, "PR", {{"N", 0.85}, {"L", 0.62}, {"H", 0.27}});
  auto ui = weight(m, "UI", {{"N", 0.85}, {"R", 0.62}});
  auto c = weight(m, "C", {{"H", 0.56}, {"L", 0.22}, {"N", 0}});
  auto i = weight(m, "I", {{"H", 0.56}, {"L", 0.22}, {"N", 0}});
  auto a = weight(m, "A", {{"H", 0.56}, {"L", 0.22}, {"N", 0}});
  if (!av || !ac || !pr || !ui || !c || !i || !a) return std::nullopt;

  const double iss = 1 - ((1 - *c) * (1 - *i) * (1 - *a));
  const double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * *av * *ac * *pr * *ui;
  if (impact <= 0) return 0.0;
  if (changed) return roundup(std::min(1.08 * (impact + exploitability), 10.0));
  return roundup(std::min(impact + exploitability, 10.0));
}

std::optional<double> cvss4_base_score(std::string_view vector) {
  auto parsed = split_vector(vector, "CVSS:4.0");
  if (!parsed) return std::nullopt;
  // Every key known, every value allowed, the base metrics all present.
  for (const auto& [key, value] : *parsed) {
    bool known = false;
    for (const auto& spec : kV4Metrics) {
      if (spec.key != key) continue;
      std::string_view values = spec.values;
      while (!values.empty() && !known) {
        auto bar = values.find('|');
        known = values.substr(0, bar) == value;
        values = bar == std::string_view::npos ? std::string_view{} : values.substr(bar + 1);
      }
    }
    if (!known) return std::nullopt;
  }
  for (std::size_t i = 0; i < kV4Mandatory; ++i) {
    if (!parsed->contains(kV4Metrics[i].key)) return std::nullopt;
  }
  const V4 v(std::move(*parsed));

  auto is = [&](std::string_view metric, std::string_view value) { return v.get(metric) == value; };

  // No impact on any system: 0.
  if (is("VC", "N") && is("VI", "N") && is("VA", "N") && is("SC", "N") && is("SI", "N") && is("SA", "N"))
    return 0.0;

  // The MacroVector.
  int eq1 = 2;
  if (is("AV", "N") && is("PR", "N") && is("UI", "N")) {
    eq1 = 0;
  } else if ((is("AV", "N") || is("PR", "N") || is("UI", "N")) && !is("AV", "P")) {
    eq1 = 1;
  }
  const int eq2 = (is("AC", "L") && is("AT", "N")) ? 0 : 1;
  int eq3 = 2;
  if (is("VC", "H") && is("VI", "H")) {
    eq3 = 0;
  } else if (is("VC", "H") || is("VI", "H") || is("VA", "H")) {
    eq3 = 1;
  }
  int eq4 = 2;
  if (is("MSI", "S") || is("MSA", "S")) {
    eq4 = 0;
  } else if (is("SC", "H") || is("SI", "H") || is("SA", "H")) {
    eq4 = 1;
  }
  const int eq5 = is("E", "A") ? 0 : is("E", "P") ? 1 : 2;
  const int eq6 = ((is("CR", "H") && is("VC", "H")) || (is("IR", "H") && is("VI", "H")) ||
                   (is("AR", "H") && is("VA", "H")))
                      ? 0
                      : 1;

  const auto macro = macro_score(eq1, eq2, eq3, eq4, eq5, eq6);
  if (!macro) return std::nullopt;
  double value = *macro;

  // Scores of the next lower MacroVector along each EQ (absent at the bottom).
  const auto lower_eq1 = macro_score(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
  const auto lower_eq2 = macro_score(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
  std::optional<double> lower_eq3eq6;
  if (eq3 == 1 && eq6 == 1) {
    lower_eq3eq6 = macro_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  } else if (eq3 == 0 && eq6 == 1) {
    lower_eq3eq6 = macro_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  } else if (eq3 == 1 && eq6 == 0) {
    lower_eq3eq6 = macro_score(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
  } else if (eq3 == 0 && eq6 == 0) {
    // Two paths down; the higher-scored one counts.
    auto left = macro_score(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
    auto right = macro_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
    if (left && right) lower_eq3eq6 = std::max(*left, *right);
  } else {
    lower_eq3eq6 = macro_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1);
  }
  const auto lower_eq4 = macro_score(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
  const auto lower_eq5 = macro_score(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

  // The first of the MacroVector's highest vectors that the vector does not exceed anywhere,
  // and the vector's severity distance from it per metric.
  static constexpr std::string_view kDistanceMetrics[] = {"AV", "PR", "UI", "AC", "AT", "VC", "VI",
                                                          "VA", "SC", "SI", "SA", "CR", "IR", "AR"};
  std::map<std::string_view, double> distance;
  const Parts& m1 = eq1_maxes(eq1);
  const Parts& m2 = eq2_maxes(eq2);
  const Parts& m3 = eq3eq6_maxes(eq3, eq6);
  const Parts& m4 = eq4_maxes(eq4);
  if (m3.empty()) return std::nullopt;
  bool found = false;
  for (const auto& p1 : m1) {
    for (const auto& p2 : m2) {
      for (const auto& p3 : m3) {
        for (const auto& p4 : m4) {
          if (found) break;
          std::map<std::string_view, std::string_view> max_vector;
          for (const auto* part : {&p1, &p2, &p3, &p4}) {
            for (const auto& [k, val] : *part) max_vector[k] = val;
          }
          distance.clear();
          bool all_non_negative = true;
          for (auto metric : kDistanceMetrics) {
            double d = level(metric, v.get(metric)) - level(metric, max_vector[metric]);
            distance[metric] = d;
            if (d < 0) all_non_negative = false;
          }
          found = all_non_negative;
        }
      }
    }
  }
  // As the calculator: when no highest vector dominates, the last one tried is used.

  const double current_eq1 = distance["AV"] + distance["PR"] + distance["UI"];
  const double current_eq2 = distance["AC"] + distance["AT"];
  const double current_eq3eq6 =
      distance["VC"] + distance["VI"] + distance["VA"] + distance["CR"] + distance["IR"] + distance["AR"];
  const double current_eq4 = distance["SC"] + distance["SI"] + distance["SA"];

  constexpr double kStep = 0.1;
  int n_existing_lower = 0;
  double normalized_eq1 = 0, normalized_eq2 = 0, normalized_eq3eq6 = 0, normalized_eq4 = 0,
         normalized_eq5 = 0;
  if (lower_eq1) {
    ++n_existing_lower;
    normalized_eq1 = (value - *lower_eq1) * (current_eq1 / (max_severity_eq1(eq1) * kStep));
  }
  if (lower_eq2) {
    ++n_existing_lower;
    normalized_eq2 = (value - *lower_eq2) * (current_eq2 / (max_severity_eq2(eq2) * kStep));
  }
  if (lower_eq3eq6) {
    ++n_existing_lower;
    normalized_eq3eq6 = (value - *lower_eq3eq6) * (current_eq3eq6 / (max_severity_eq3eq6(eq3, eq6) * kStep));
  }
  if (lower_eq4) {
    ++n_existing_lower;
    normalized_eq4 = (value - *lower_eq4) * (current_eq4 / (max_severity_eq4(eq4) * kStep));
  }
  if (lower_eq5) {
    // EQ5 has a single vector per level: its proportional distance is always 0.
    ++n_existing_lower;
    normalized_eq5 = (value - *lower_eq5) * 0;
  }
  double mean_distance = 0;
  if (n_existing_lower != 0) {
    mean_distance = (normalized_eq1 + normalized_eq2 + normalized_eq3eq6 + normalized_eq4 + normalized_eq5) /
                    n_existing_lower;
  }
  value -= mean_distance;
  if (value < 0) value = 0.0;
  if (value > 10) value = 10.0;
  // Round half up to one decimal, after lifting by 1e-6 so that a tie computed one ULP low
  // (8.549999999999999 for 8.55) still rounds up: the calculator's rounding fix of 2024-10.
  return std::floor((value + 1e-6) * 10 + 0.5) / 10;
}

}  // namespace berth::vulndb
