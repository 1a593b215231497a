// Artifacts and their tags: Harbor's
// /projects/{project_name}/repositories/{repository_name}/artifacts[/{reference}[/tags[/{tag_name}]]].
// Reads come from meta::Database's management reads; deletes and new tags go through
// registry::Registry so that its caches stay coherent, and are audited.
//
// Berth keys manifests by (repository, digest) and tags by (repository, name); Harbor's
// clients expect integer ids, so artifact and tag ids are derived from those keys
// (stable, unique in practice, below 2^53 so that JavaScript reads them exactly).
#include <openssl/sha.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/rest/content.h"
#include "api/rest/scan_shapes.h"
#include "artifact/inspector.h"
#include "base/base64.h"
#include "meta/label_database.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "policy/immutability.h"
#include "webhook/webhook.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;
using iam::Permission;
namespace resource = iam::resource;
namespace action = iam::action;

// A positive id below 2^53 derived from `key` (SHA-256, first 52 bits, plus one).
std::int64_t derived_id(std::string_view key) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), hash);
  std::uint64_t value = 0;
  for (int i = 0; i < 7; ++i) value = (value << 8) | hash[i];
  return static_cast<std::int64_t>(value >> 4) + 1;
}

std::int64_t artifact_id(const std::string& repository, const std::string& digest) {
  return derived_id(repository + "@" + digest);
}

std::int64_t tag_id(const std::string& repository, const std::string& tag) {
  return derived_id(repository + ":" + tag);
}

// Harbor writes Go's zero time for "never".
std::string harbor_time(std::chrono::system_clock::time_point time) {
  if (time.time_since_epoch().count() == 0) return "0001-01-01T00:00:00.000Z";
  return format_time(time);
}

json::object tag_json(const std::string& repository, const meta::ArtifactRecord& artifact,
                      const meta::TagRecord& tag, bool is_signed, bool immutable) {
  json::object out;
  out["id"] = tag_id(repository, tag.name);
  out["repository_id"] = artifact.repository_id;
  out["artifact_id"] = artifact_id(repository, artifact.manifest.digest);
  out["name"] = tag.name;
  out["push_time"] = format_time(tag.pushed);
  out["pull_time"] = harbor_time(tag.pulled);
  out["immutable"] = immutable;
  out["signed"] = is_signed;
  return out;
}

json::object parse_object_text(const std::string& text) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return {};
  return std::move(value.get_object());
}

// The accessories of an artifact (all of them; an artifact has few).
std::vector<meta::ArtifactRecord> accessories_of(Call& call, const std::string& repository,
                                                 const std::string& digest) {
  meta::ListQuery all;
  all.limit = 0;
  auto listed = call.context.metadata.list_accessories(repository, digest, all);
  if (!listed) {
    BERTH_LOG_WARN("management API: accessories of {}@{}: {}", repository, digest, listed.error().message);
    return {};
  }
  return std::move(listed->items);
}

bool has_signature(const std::vector<meta::ArtifactRecord>& accessories) {
  return std::any_of(accessories.begin(), accessories.end(), [](const meta::ArtifactRecord& a) {
    return a.manifest.accessory_type.starts_with("signature.");
  });
}

// Harbor's Accessory model.
json::object accessory_json(const std::string& repository, const meta::ArtifactRecord& accessory) {
  const meta::ManifestRecord& m = accessory.manifest;
  json::object out;
  out["id"] = derived_id("accessory:" + repository + "@" + m.digest);
  out["artifact_id"] = artifact_id(repository, m.digest);
  out["subject_artifact_id"] = artifact_id(repository, m.accessory_of);
  out["subject_artifact_digest"] = m.accessory_of;
  out["subject_artifact_repo"] = repository;
  out["size"] = m.size;
  out["digest"] = m.digest;
  out["type"] = m.accessory_type;
  out["icon"] = "";
  out["creation_time"] = format_time(m.created);
  return out;
}

// "/api/v2.0/projects/<p>/repositories/<r>/artifacts/<digest>/additions/<name>".
std::string addition_href(const meta::Project& project, const std::string& repository,
                          const std::string& digest, std::string_view name) {
  const std::string short_name = repository.substr(project.name.size() + 1);
  return "/api/v2.0/projects/" + project.name + "/repositories/" + path_repository_name(short_name) +
         "/artifacts/" + digest + "/additions/" + std::string(name);
}

// What an artifact listing adds to each artifact (Harbor's with_* parameters).
struct ArtifactFields {
  bool tags = true;
  bool labels = false;
  bool accessories = false;
  bool immutable_status = false;  // tags say whether they are immutable (else always false, as Harbor)
};

// Whether a tag is immutable, when the caller asked (with_immutable_status=true).
bool tag_immutable(Call& call, const std::string& repository, const std::string& tag, bool asked) {
  if (!asked || call.context.immutability == nullptr) return false;
  auto immutable = call.context.immutability->is_immutable(repository, tag);
  return immutable && *immutable;
}

// Harbor's Artifact model.
json::object artifact_json(Call& call, const meta::Project& project, const std::string& repository,
                           const meta::ArtifactRecord& artifact, const ArtifactFields& fields) {
  const meta::ManifestRecord& manifest = artifact.manifest;
  json::object out;
  out["id"] = artifact_id(repository, manifest.digest);
  out["project_id"] = project.id;
  out["repository_id"] = artifact.repository_id;
  out["repository_name"] = repository;
  out["digest"] = manifest.digest;
  out["size"] = manifest.size;
  out["push_time"] = format_time(manifest.created);
  out["pull_time"] = harbor_time(artifact.pulled);
  out["annotations"] = parse_object_text(manifest.annotations_json);
  out["manifest_media_type"] = manifest.media_type;
  out["media_type"] = manifest.media_type;
  out["artifact_type"] = manifest.artifact_type;
  out["type"] = "UNKNOWN";
  out["icon"] = "";
  out["extra_attrs"] = json::object{};
  json::array references;
  json::object addition_links;
  std::shared_ptr<const artifact::Details> details;
  if (call.context.artifacts != nullptr) {
    auto found = call.context.artifacts->details(repository, manifest);
    if (found) {
      details = *found;
    } else {
      BERTH_LOG_WARN("management API: artifact {}@{}: {}", repository, manifest.digest,
                     found.error().message);
    }
  }
  if (details) {
    out["type"] = details->type;
    out["media_type"] = details->media_type;
    out["manifest_media_type"] = details->manifest_media_type;
    out["artifact_type"] = details->artifact_type;
    out["icon"] = details->icon;
    out["extra_attrs"] = parse_object_text(details->extra_attrs_json);
    // Harbor's size: the manifest and every blob it references.
    std::int64_t size = manifest.size;
    for (const auto& blob : details->manifest->blob_references()) size += blob.size;
    out["size"] = size;
    const std::int64_t parent = artifact_id(repository, manifest.digest);
    for (const auto& child : details->children) {
      json::object reference;
      reference["parent_id"] = parent;
      reference["child_id"] = artifact_id(repository, child.digest);
      reference["child_digest"] = child.digest;
      if (child.platform) {
        reference["platform"] = json::object{{"architecture", child.platform->architecture},
                                             {"os", child.platform->os},
                                             {"variant", child.platform->variant}};
      }
      reference["annotations"] = parse_object_text(child.annotations_json);
      reference["urls"] = json::array{};
      references.push_back(std::move(reference));
    }
    std::vector<std::string> additions = details->additions;
    if (details->type == "IMAGE" && call.context.scanner != nullptr)
      additions.emplace_back("vulnerabilities");
    for (const auto& name : additions)
      addition_links[name] = json::object{{"href", addition_href(project, repository, manifest.digest, name)},
                                          {"absolute", false}};
  }
  out["references"] = std::move(references);
  out["addition_links"] = std::move(addition_links);

  std::vector<meta::ArtifactRecord> accessories;
  if (fields.tags || fields.accessories) accessories = accessories_of(call, repository, manifest.digest);
  if (fields.tags) {
    const bool is_signed = has_signature(accessories);
    json::array tags;
    for (const auto& tag : artifact.tags)
      tags.push_back(tag_json(repository, artifact, tag, is_signed,
                              tag_immutable(call, repository, tag.name, fields.immutable_status)));
    out["tags"] = std::move(tags);
  }
  if (fields.accessories) {
    json::array listed;
    for (const auto& accessory : accessories) listed.push_back(accessory_json(repository, accessory));
    out["accessories"] = std::move(listed);
  }
  if (fields.labels && call.context.labels != nullptr) {
    json::array labels;
    if (auto attached = call.context.labels->labels_of(repository, manifest.digest)) {
      for (const auto& label : *attached) labels.push_back(label_json(label));
    }
    out["labels"] = std::move(labels);
  }
  return out;
}

// "true" unless the parameter says false (Harbor's with_tag defaults to true).
bool flag(const http::Request& request, std::string_view name, bool fallback) {
  auto value = request.query_param(name);
  if (!value || value->empty()) return fallback;
  return *value == "true" || *value == "True" || *value == "1";
}

ArtifactFields requested_fields(const http::Request& request) {
  return ArtifactFields{flag(request, "with_tag", true), flag(request, "with_label", false),
                        flag(request, "with_accessory", false),
                        flag(request, "with_immutable_status", false)};
}

// Adds Harbor's scan_overview and sbom_overview to listed artifacts, as asked for (the
// with_scan_overview and with_sbom_overview parameters). Runs on the blocking pool.
void add_overviews(Call& call, json::array& items, const std::vector<std::string>& digests) {
  const bool scan = flag(call.request(), "with_scan_overview", false);
  const bool sbom = flag(call.request(), "with_sbom_overview", false);
  if ((!scan && !sbom) || call.context.scans == nullptr) return;
  auto records = call.context.scans->scan_overviews(digests);
  if (!records) {
    BERTH_LOG_WARN("management API: scan overviews: {}", records.error().message);
    return;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& item = items[i].as_object();
    for (const auto& r : *records) {
      if (r.digest != digests[i]) continue;
      if (scan) item["scan_overview"] = scan_overview_json(r, call.context.version);
      if (sbom && !r.sbom_digest.empty()) item["sbom_overview"] = sbom_overview_json(r);
    }
  }
}

// "2020-04-09 02:36:00" (UTC, Harbor's time format in q) as unix seconds; other text as it is.
std::string unix_seconds_text(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%c", &year, &month, &day, &hour, &minute, &second,
                  &tail) != 6)
    return text;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::to_string(static_cast<long long>(timegm(&tm)));
}

void convert_push_time(meta::ListQuery& query) {
  for (auto& filter : query.filters) {
    if (filter.field != "push_time" || filter.kind != meta::Filter::Kind::range) continue;
    if (filter.low) filter.low = unix_seconds_text(*filter.low);
    if (filter.high) filter.high = unix_seconds_text(*filter.high);
  }
}

// The artifact {reference} names (a digest, or a tag pointing at it). Errors: 404.
// Runs on the blocking pool.
base::Result<meta::ArtifactRecord, http::Response> find_artifact(Call& call, const std::string& repository,
                                                                 const std::string& reference) {
  std::string digest = reference;
  if (reference.find(':') == std::string::npos) {
    auto resolved = call.context.metadata.resolve_tag(repository, reference);
    if (!resolved) return metadata_error("resolve tag", resolved.error());
    if (!*resolved) return error_response(404, "artifact " + repository + ":" + reference + " not found");
    digest = std::move(**resolved);
  }
  auto artifact = call.context.metadata.get_artifact(repository, digest);
  if (!artifact) return metadata_error("get artifact", artifact.error());
  if (!*artifact) return error_response(404, "artifact " + repository + "@" + digest + " not found");
  return std::move(**artifact);
}

// Reading artifacts: artifact read/list, or pull rights on the repository.
constexpr std::initializer_list<Permission> kReadArtifacts = {{resource::artifact, action::list},
                                                              {resource::artifact, action::read},
                                                              {resource::repository, action::pull}};

// --- handlers ---------------------------------------------------------------------------------

Awaitable list_artifacts(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  convert_push_time(*query);
  const ArtifactFields fields = requested_fields(call.request());
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"), kReadArtifacts);
    if (!project) return std::move(project).error();
    auto listing = call.context.metadata.list_artifacts(*repository, *query);
    if (!listing) return metadata_error("list artifacts", listing.error());
    json::array items;
    std::vector<std::string> digests;
    for (const auto& artifact : listing->items) {
      items.push_back(artifact_json(call, *project, *repository, artifact, fields));
      digests.push_back(artifact.manifest.digest);
    }
    add_overviews(call, items, digests);
    http::Response response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listing->total);
    return response;
  });
}

Awaitable get_artifact(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  const ArtifactFields fields = requested_fields(call.request());
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"), kReadArtifacts);
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    json::array items{artifact_json(call, *project, *repository, *artifact, fields)};
    add_overviews(call, items, {artifact->manifest.digest});
    return json_response(200, items[0]);
  });
}

// By tag as by digest, the artifact goes with all its tags (Harbor's rule).
Awaitable delete_artifact(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"), {{resource::artifact, action::del}});
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    const std::string name = *repository + "@" + artifact->manifest.digest;
    if (auto s = call.context.registry.delete_manifest(*repository, artifact->manifest.digest); !s) {
      call.context.iam.audit(call.caller, "delete", "artifact", name, project->name, false,
                             s.error().message);
      return registry_error("delete artifact", s.error());
    }
    call.context.iam.audit(call.caller, "delete", "artifact", name, project->name, true);
    if (call.context.webhooks != nullptr) {
      webhook::Event hook;
      hook.type = "DELETE_ARTIFACT";
      hook.repository = *repository;
      hook.digest = artifact->manifest.digest;
      hook.operator_name = call.caller.principal.name;
      call.context.webhooks->notify(std::move(hook));
    }
    return empty_response(200);
  });
}

// Tags of one artifact, filtered (q: name, exact or fuzzy), sorted (name, push_time) and
// paged in memory: an artifact has few tags.
base::Result<std::vector<meta::TagRecord>, http::Response> select_tags(std::vector<meta::TagRecord> tags,
                                                                       const meta::ListQuery& query) {
  for (const auto& filter : query.filters) {
    if (filter.field != "name" ||
        (filter.kind != meta::Filter::Kind::exact && filter.kind != meta::Filter::Kind::fuzzy))
      return error_response(400, "unsupported tag filter: " + filter.field + " (supported: name=v, name=~v)");
    std::erase_if(tags, [&](const meta::TagRecord& tag) {
      return filter.kind == meta::Filter::Kind::exact ? tag.name != filter.value
                                                      : tag.name.find(filter.value) == std::string::npos;
    });
  }
  const bool descending = query.sort.starts_with('-');
  const std::string_view field =
      descending ? std::string_view(query.sort).substr(1) : std::string_view(query.sort);
  if (field == "push_time") {
    std::stable_sort(tags.begin(), tags.end(),
                     [](const meta::TagRecord& a, const meta::TagRecord& b) { return a.pushed < b.pushed; });
  } else if (!field.empty() && field != "name") {
    return error_response(400, "unsupported sort: " + query.sort + " (supported: name, push_time)");
  }
  if (descending) std::reverse(tags.begin(), tags.end());
  return tags;
}

Awaitable list_tags(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"),
                                     {{resource::tag, action::list}, {resource::repository, action::pull}});
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    auto tags = select_tags(artifact->tags, *query);
    if (!tags) return std::move(tags).error();
    const bool is_signed = has_signature(accessories_of(call, *repository, artifact->manifest.digest));
    json::array items;
    for (std::size_t i = query->offset; i < tags->size() && i < query->offset + query->limit; ++i)
      items.push_back(tag_json(*repository, *artifact, (*tags)[i], is_signed,
                               tag_immutable(call, *repository, (*tags)[i].name,
                                             flag(call.request(), "with_immutable_status", false))));
    http::Response response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, static_cast<std::int64_t>(tags->size()));
    return response;
  });
}

// POST {"name": "v2"}: 201, 409 when the tag exists (Harbor does not move tags here).
Awaitable create_tag(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  auto body = co_await read_json(call);
  if (!body) co_return std::move(body).error();
  const json::value* name = body->is_object() ? body->get_object().if_contains("name") : nullptr;
  if (name == nullptr || !name->is_string() || name->get_string().empty())
    co_return error_response(400, "the tag needs a name");
  const std::string tag(name->get_string());
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"), {{resource::tag, action::create}});
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    const std::string resource_name = *repository + ":" + tag;
    if (auto s = call.context.registry.add_tag(*repository, artifact->manifest.digest, tag); !s) {
      if (s.error().code == oci::ErrorCode::denied)
        return error_response(409, "tag " + tag + " already exists in " + *repository);
      return registry_error("create tag", s.error());
    }
    call.context.iam.audit(call.caller, "create", "tag", resource_name, project->name, true,
                           "on " + artifact->manifest.digest);
    return created_response("/projects/" + project->name + "/repositories/" +
                            path_repository_name(call.param("repository_name")) + "/artifacts/" +
                            call.param("reference") + "/tags/" + tag);
  });
}

Awaitable delete_tag(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"), {{resource::tag, action::del}});
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    const std::string& tag = call.param("tag_name");
    const bool attached = std::any_of(artifact->tags.begin(), artifact->tags.end(),
                                      [&](const meta::TagRecord& t) { return t.name == tag; });
    if (!attached)
      return error_response(404, "tag " + tag + " not found on artifact " + artifact->manifest.digest);
    const std::string resource_name = *repository + ":" + tag;
    if (auto s = call.context.registry.delete_manifest(*repository, tag); !s) {
      call.context.iam.audit(call.caller, "delete", "tag", resource_name, project->name, false,
                             s.error().message);
      return registry_error("delete tag", s.error());
    }
    call.context.iam.audit(call.caller, "delete", "tag", resource_name, project->name, true,
                           "from " + artifact->manifest.digest);
    return empty_response(200);
  });
}

// The `from` of a copy: "<project>/<repository>:<tag>" or "<project>/<repository>@<digest>".
struct CopySource {
  std::string repository;
  std::string reference;
  std::string tag;  // when the source names a tag
};
std::optional<CopySource> parse_copy_source(std::string_view from) {
  CopySource source;
  if (auto at = from.rfind('@'); at != std::string_view::npos) {
    source.repository = std::string(from.substr(0, at));
    source.reference = std::string(from.substr(at + 1));
  } else {
    const auto slash = from.rfind('/');
    const auto colon = from.rfind(':');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash))
      return std::nullopt;
    source.repository = std::string(from.substr(0, colon));
    source.reference = source.tag = std::string(from.substr(colon + 1));
  }
  if (source.repository.find('/') == std::string::npos || source.reference.empty()) return std::nullopt;
  return source;
}

// POST .../artifacts?from=<project>/<repository>:<tag>|@<digest>: Harbor's copy. The blobs are
// shared, not copied; an index's children and the artifact's accessories come along; a source
// given by tag is tagged the same in the destination. 201 with the copy's location.
Awaitable copy_artifact(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  const auto from = call.request().query_param("from");
  if (!from || from->empty()) co_return error_response(400, "invalid input: the from parameter is required");
  const auto source = parse_copy_source(*from);
  if (!source) co_return error_response(400, "invalid input: " + *from);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project =
        authorize_project(call, call.param("project_name"), {{resource::artifact, action::create}});
    if (!project) return std::move(project).error();
    const std::string source_project = source->repository.substr(0, source->repository.find('/'));
    auto readable = authorize_project(call, source_project, kReadArtifacts);
    if (!readable) return std::move(readable).error();
    auto artifact = find_artifact(call, source->repository, source->reference);
    if (!artifact) return std::move(artifact).error();
    if (!artifact->manifest.accessory_of.empty())
      return error_response(403, "the operation isn't supported for an artifact accessory");
    const std::string name = *repository + "@" + artifact->manifest.digest;
    auto copied = call.context.registry.copy_artifact(source->repository, artifact->manifest.digest,
                                                      *repository, source->tag);
    if (!copied) {
      call.context.iam.audit(call.caller, "create", "artifact", name, project->name, false,
                             copied.error().message);
      return registry_error("copy artifact", copied.error());
    }
    call.context.iam.audit(call.caller, "create", "artifact", name, project->name, true,
                           "copied from " + *from);
    return created_response("/projects/" + project->name + "/repositories/" +
                            path_repository_name(call.param("repository_name")) + "/artifacts/" +
                            source->reference);
  });
}

// GET .../artifacts/{reference}/accessories: signatures, SBOMs and other referrers of the
// artifact, oldest first, paged.
Awaitable list_accessories(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  meta::ListQuery query;
  query.offset = (page->page - 1) * page->page_size;
  query.limit = page->page_size;
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project =
        authorize_project(call, call.param("project_name"),
                          {{resource::accessory, action::list}, {resource::repository, action::pull}});
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    auto listed = call.context.metadata.list_accessories(*repository, artifact->manifest.digest, query);
    if (!listed) return metadata_error("list accessories", listed.error());
    json::array items;
    for (const auto& accessory : listed->items) items.push_back(accessory_json(*repository, accessory));
    http::Response response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

// GET .../artifacts/{reference}/additions/{addition}: build_history (images), values.yaml,
// readme.md, dependencies (Helm charts), in Harbor's content types.
Awaitable get_addition(Call& call) {
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  if (call.context.artifacts == nullptr)
    co_return error_response(503, "artifact additions are not available");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(
        call, call.param("project_name"),
        {{resource::artifact_addition, action::read}, {resource::repository, action::pull}});
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    std::string name = call.param("addition");
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto addition = call.context.artifacts->addition(*repository, artifact->manifest, name);
    if (!addition) {
      const auto& error = addition.error();
      if (error.code == base::Errc::invalid_argument) return error_response(400, error.message);
      if (error.code == base::Errc::not_found) return error_response(404, error.message);
      if (error.code == base::Errc::too_large) return error_response(413, error.message);
      if (error.code == base::Errc::corrupt) return error_response(422, error.message);
      return internal_error("artifact addition", error);
    }
    http::Response response;
    response.status = 200;
    response.headers.set("Content-Type", addition->content_type);
    response.body = std::move(addition->body);
    return response;
  });
}

// GET /icons/{digest}: an artifact's own icon, as Harbor serves it:
// {"content-type": "image/png", "content": "<base64>"}. Any signed-in user may read icons
// of artifacts they can see; the icon must be a layer of an artifact in a readable project.
Awaitable get_icon(Call& call) {
  if (call.context.artifacts == nullptr) co_return error_response(503, "icons are not available");
  const std::string repository = call.request().query_param("repository").value_or("");
  co_return co_await blocking(call, [&]() -> http::Response {
    const std::string& digest = call.param("digest");
    if (repository.find('/') == std::string::npos)
      return error_response(400, "the repository query parameter names the artifact's repository");
    auto project = authorize_project(call, repository.substr(0, repository.find('/')), kReadArtifacts);
    if (!project) return std::move(project).error();
    auto icon = call.context.artifacts->icon(repository, digest);
    if (!icon) {
      if (icon.error().code == base::Errc::invalid_argument) return error_response(400, icon.error().message);
      if (icon.error().code == base::Errc::too_large) return error_response(413, icon.error().message);
      return error_response(404, "the icon " + digest + " not found");
    }
    return json_response(200, json::object{{"content-type", icon->content_type},
                                           {"content", base::base64_encode(icon->body)}});
  });
}

}  // namespace

std::vector<Route> artifact_routes() {
  using http::Method;
  const std::string artifacts = "/projects/{project_name}/repositories/{repository_name}/artifacts";
  return {
      {Method::get, artifacts, list_artifacts, true},
      {Method::post, artifacts, copy_artifact},
      {Method::get, artifacts + "/{reference}/accessories", list_accessories, true},
      {Method::get, artifacts + "/{reference}/additions/{addition}", get_addition, true},
      {Method::get, "/icons/{digest}", get_icon, true},
      {Method::get, artifacts + "/{reference}", get_artifact, true},
      {Method::del, artifacts + "/{reference}", delete_artifact},
      {Method::get, artifacts + "/{reference}/tags", list_tags, true},
      {Method::post, artifacts + "/{reference}/tags", create_tag},
      {Method::del, artifacts + "/{reference}/tags/{tag_name}", delete_tag},
  };
}

}  // namespace berth::api::rest
