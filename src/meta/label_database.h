// Labels (Harbor's): global ones (scope "g", made by system admins) and project ones (scope "p"),
// attached to artifacts. Deleting a label detaches it everywhere; deleting an artifact drops
// its attachments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "meta/query.h"

namespace berth::meta {

struct Label {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  std::string color;            // "#RRGGBB" or ""
  std::string scope;            // "g" (global) or "p" (project)
  std::int64_t project_id = 0;  // 0 for global labels
  TimePoint created;
  TimePoint updated;
};

class LabelDatabase {
 public:
  virtual ~LabelDatabase() = default;

  // Stores a new label (id and times are assigned). Errors: already_exists (the name is taken
  // in that scope and project).
  virtual base::Result<Label> create_label(const Label& label) = 0;
  virtual base::Result<std::optional<Label>> get_label(std::int64_t id) = 0;
  // Fields: name (exact/fuzzy), scope (exact), project_id (exact). Sort: name, creation_time,
  // update_time; default name.
  virtual base::Result<Listing<Label>> list_labels(const ListQuery& query) = 0;
  // Changes name, description and color. Errors: not_found, already_exists.
  virtual base::Status update_label(const Label& label) = 0;
  // Deletes the label and every attachment of it. Errors: not_found.
  virtual base::Status delete_label(std::int64_t id) = 0;

  // Errors: not_found (no such artifact in the repository), already_exists.
  virtual base::Status attach_label(const std::string& repository, const std::string& digest,
                                    std::int64_t label_id) = 0;
  // Errors: not_found (the label is not attached there).
  virtual base::Status detach_label(const std::string& repository, const std::string& digest,
                                    std::int64_t label_id) = 0;
  // The labels attached to an artifact, by name.
  virtual base::Result<std::vector<Label>> labels_of(const std::string& repository,
                                                     const std::string& digest) = 0;
};

}  // namespace berth::meta
