// Logging: thin wrappers over spdlog so that modules do not configure it themselves.
// Secrets must never be passed to these functions.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace berth::base {

// Sets the global level from a name ("trace", "debug", "info", "warn", "error", "off").
// Returns false if the name is unknown (the level is then left unchanged).
bool set_log_level(std::string_view level);

}  // namespace berth::base

#define BERTH_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define BERTH_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define BERTH_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define BERTH_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
