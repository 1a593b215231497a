// UTF-8 text. Package databases and advisory sources in YAML may hold bytes that are not
// UTF-8; every document Berth stores or serves is JSON, which must be UTF-8, so such text is
// made valid where it enters.
#pragma once

#include <string>
#include <string_view>

namespace berth::base {

// True if `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with each maximal ill-formed subsequence replaced by U+FFFD (Unicode's "substitution
// of maximal subparts"); valid text comes back unchanged.
std::string to_valid_utf8(std::string_view text);

// Replaces `text` by to_valid_utf8(text) when it is not valid (no copy otherwise).
void make_valid_utf8(std::string& text);

}  // namespace berth::base
