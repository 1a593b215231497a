// An inventory as JSON, stored with a scan result so that the report can be refreshed
// against a newer vulnerability database without reading the layers again.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "inventory/inventory.h"

namespace berth::scan {

std::string encode_inventory(const inventory::Inventory& inventory);
// Errors: corrupt (not an inventory this build wrote).
base::Result<inventory::Inventory> decode_inventory(std::string_view json);

}  // namespace berth::scan
