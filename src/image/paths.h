// Path helpers shared by the layer reader and the image archive reader (internal to image/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::image::detail {

// A tar member or layer entry path made relative to the root: leading "./" and "/" removed,
// "//" and "." collapsed, ".." resolved. nullopt when ".." climbs above the root. The root
// itself normalises to "".
std::optional<std::string> normalise_path(std::string_view raw);

// `text` in double quotes, cut after 200 characters, for error messages.
std::string in_quotes(std::string_view text);

// "64 GiB", "3 MiB", "1000 bytes": a byte count for messages.
std::string size_text(std::uint64_t bytes);

}  // namespace berth::image::detail
