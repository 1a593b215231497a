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
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;
using iam::Permission;
namespace resource = iam::resource;
namespace action = iam::action;

constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
constexpr std::string_view kHelmConfig = "application/vnd.cncf.helm.config.v1+json";

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

// Harbor's artifact type, from the manifest and config media types: images (and indexes)
// "IMAGE", Helm charts "CHART", anything else "UNKNOWN".
std::string_view artifact_kind(const meta::ManifestRecord& manifest) {
  namespace mt = oci::media_type;
  if (mt::is_index(manifest.media_type)) return "IMAGE";
  if (manifest.media_type == mt::docker_schema1 || manifest.media_type == mt::docker_schema1_signed)
    return "IMAGE";
  if (manifest.artifact_type == mt::oci_config || manifest.artifact_type == kDockerConfig) return "IMAGE";
  if (manifest.artifact_type == kHelmConfig) return "CHART";
  return "UNKNOWN";
}

json::object tag_json(const std::string& repository, const meta::ArtifactRecord& artifact,
                      const meta::TagRecord& tag) {
  json::object out;
  out["id"] = tag_id(repository, tag.name);
  out["repository_id"] = artifact.repository_id;
  out["artifact_id"] = artifact_id(repository, artifact.manifest.digest);
  out["name"] = tag.name;
  out["push_time"] = format_time(tag.pushed);
  out["pull_time"] = harbor_time(tag.pulled);
  out["immutable"] = false;
  out["signed"] = false;
  return out;
}

json::object annotations_json(const std::string& text) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return {};
  return std::move(value.get_object());
}

// The children of an index (Harbor's references), read from the stored manifest.
json::array references_json(Call& call, const std::string& repository, const meta::ArtifactRecord& artifact) {
  json::array out;
  if (!oci::media_type::is_index(artifact.manifest.media_type)) return out;
  auto content = call.context.registry.get_manifest(repository, artifact.manifest.digest);
  if (!content || !content->body) return out;
  auto manifest = oci::parse_manifest(*content->body, content->media_type);
  if (!manifest) return out;
  const std::int64_t parent = artifact_id(repository, artifact.manifest.digest);
  for (const auto& child : manifest->manifests) {
    json::object reference;
    reference["parent_id"] = parent;
    const std::string digest = child.digest.str();
    reference["child_id"] = artifact_id(repository, digest);
    reference["child_digest"] = digest;
    if (child.platform) {
      reference["platform"] = json::object{{"architecture", child.platform->architecture},
                                           {"os", child.platform->os},
                                           {"variant", child.platform->variant}};
    }
    json::object annotations;
    for (const auto& [key, value] : child.annotations) annotations[key] = value;
    reference["annotations"] = std::move(annotations);
    reference["urls"] = json::array{};
    out.push_back(std::move(reference));
  }
  return out;
}

// Harbor's Artifact model.
json::object artifact_json(Call& call, const meta::Project& project, const std::string& repository,
                           const meta::ArtifactRecord& artifact, bool with_tag) {
  const meta::ManifestRecord& manifest = artifact.manifest;
  json::object out;
  out["id"] = artifact_id(repository, manifest.digest);
  out["type"] = artifact_kind(manifest);
  out["media_type"] = manifest.artifact_type.empty() ? manifest.media_type : manifest.artifact_type;
  out["manifest_media_type"] = manifest.media_type;
  out["artifact_type"] = manifest.artifact_type;
  out["project_id"] = project.id;
  out["repository_id"] = artifact.repository_id;
  out["repository_name"] = repository;
  out["digest"] = manifest.digest;
  out["size"] = manifest.size;
  out["icon"] = "";
  out["push_time"] = format_time(manifest.created);
  out["pull_time"] = harbor_time(artifact.pulled);
  out["extra_attrs"] = json::object{};
  out["annotations"] = annotations_json(manifest.annotations_json);
  out["references"] = references_json(call, repository, artifact);
  if (with_tag) {
    json::array tags;
    for (const auto& tag : artifact.tags) tags.push_back(tag_json(repository, artifact, tag));
    out["tags"] = std::move(tags);
  }
  return out;
}

// "true" unless the parameter says false (Harbor's with_tag defaults to true).
bool flag(const http::Request& request, std::string_view name, bool fallback) {
  auto value = request.query_param(name);
  if (!value || value->empty()) return fallback;
  return *value == "true" || *value == "True" || *value == "1";
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
  const bool with_tag = flag(call.request(), "with_tag", true);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"), kReadArtifacts);
    if (!project) return std::move(project).error();
    auto listing = call.context.metadata.list_artifacts(*repository, *query);
    if (!listing) return metadata_error("list artifacts", listing.error());
    json::array items;
    std::vector<std::string> digests;
    for (const auto& artifact : listing->items) {
      items.push_back(artifact_json(call, *project, *repository, artifact, with_tag));
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
  const bool with_tag = flag(call.request(), "with_tag", true);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"), kReadArtifacts);
    if (!project) return std::move(project).error();
    auto artifact = find_artifact(call, *repository, call.param("reference"));
    if (!artifact) return std::move(artifact).error();
    json::array items{artifact_json(call, *project, *repository, *artifact, with_tag)};
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
    json::array items;
    for (std::size_t i = query->offset; i < tags->size() && i < query->offset + query->limit; ++i)
      items.push_back(tag_json(*repository, *artifact, (*tags)[i]));
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

}  // namespace

std::vector<Route> artifact_routes() {
  using http::Method;
  const std::string artifacts = "/projects/{project_name}/repositories/{repository_name}/artifacts";
  return {
      {Method::get, artifacts, list_artifacts, true},
      {Method::get, artifacts + "/{reference}", get_artifact, true},
      {Method::del, artifacts + "/{reference}", delete_artifact},
      {Method::get, artifacts + "/{reference}/tags", list_tags, true},
      {Method::post, artifacts + "/{reference}/tags", create_tag},
      {Method::del, artifacts + "/{reference}/tags/{tag_name}", delete_tag},
  };
}

}  // namespace berth::api::rest
