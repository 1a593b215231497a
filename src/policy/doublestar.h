// Doublestar patterns, as Harbor's tag rules use them (bmatcuk/doublestar v1): `*` matches any
// run of characters but '/', `**` as a whole path component matches any number of components,
// `?` one character but '/', `[abc]`, `[a-z]` and `[!a]` a class, `{a,b}` alternatives (nested),
// `\\x` the character x. An empty pattern matches everything.
#pragma once

#include <string_view>

namespace berth::policy {

// Errors are answered false (a malformed pattern matches nothing); valid_doublestar says which.
bool doublestar_match(std::string_view pattern, std::string_view text);
bool valid_doublestar(std::string_view pattern);

}  // namespace berth::policy
