// The local end of a replication: this registry, through registry::Registry (so quotas,
// immutable tags and the storage cap apply to what replication writes, as to any push).
#pragma once

#include <memory>

#include "meta/iam_database.h"
#include "meta/label_database.h"
#include "registry/registry.h"
#include "replication/side.h"

namespace berth::replication {

// Projects that a pull replication needs and that do not exist are created private, owned
// by `owner_id`.
std::unique_ptr<Side> local_side(registry::Registry& registry, meta::IamDatabase& iam,
                                 meta::LabelDatabase& labels, std::int64_t owner_id);

}  // namespace berth::replication
