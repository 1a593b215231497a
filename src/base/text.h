// Small text helpers shared across modules.
#pragma once

#include <string_view>

namespace berth::base {

// True when `a` and `b` are equal with ASCII letters compared without case (header names,
// media types, schemes).
bool iequals(std::string_view a, std::string_view b);
// `text` without its leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim_blank(std::string_view text);

}  // namespace berth::base
