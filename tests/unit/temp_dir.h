// A fresh private directory for one test (the caller removes it).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace berth::testing_support {

// Creates <temp>/<prefix>-XXXXXX; empty on failure.
inline std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

}  // namespace berth::testing_support
