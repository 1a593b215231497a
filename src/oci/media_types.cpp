#include "oci/media_types.h"

namespace berth::oci::media_type {

bool is_manifest(std::string_view type) {
  return type == oci_manifest || type == oci_index || type == docker_manifest || type == docker_manifest_list;
}

bool is_index(std::string_view type) {
  return type == oci_index || type == docker_manifest_list;
}

}  // namespace berth::oci::media_type
