// Labels, as Harbor has them: /labels (global labels, scope "g", managed by system admins;
// project labels, scope "p", by the project's admins and maintainers) and their attachment to
// artifacts: POST/DELETE /projects/{p}/repositories/{r}/artifacts/{reference}/labels[/{label_id}].
// Listings of artifacts filter by label with q=labels=(1 2) (artifacts.cpp, meta).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>

#include "api/rest/content.h"
#include "meta/label_database.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;
namespace resource = iam::resource;
namespace action = iam::action;

constexpr std::size_t kMaxLabelName = 128;

}  // namespace

json::object label_json(const meta::Label& label) {
  return json::object{{"id", label.id},
                      {"name", label.name},
                      {"description", label.description},
                      {"color", label.color},
                      {"scope", label.scope},
                      {"project_id", label.project_id},
                      {"creation_time", format_time(label.created)},
                      {"update_time", format_time(label.updated)}};
}

namespace {

http::Response unavailable() {
  return error_response(503, "labels are not available");
}

http::Response label_error(std::string_view what, const base::Error& error) {
  if (error.code == base::Errc::already_exists) return error_response(409, error.message);
  return metadata_error(what, error);
}

// The caller may `act` on `label`: a global one as system admin (reads: anyone signed in), a
// project one by its role in the project. Errors: 401, 403, 404.
base::Result<void, http::Response> authorize_label(Call& call, const meta::Label& label,
                                                   std::string_view act) {
  const bool read = act == action::read || act == action::list;
  if (label.scope == "g") {
    if (call.caller.principal.anonymous()) return error_response(401, "authentication required");
    if (read || call.caller.principal.sysadmin) return {};
    return error_response(403, "only system administrators manage global labels");
  }
  auto project = call.context.iam.get_project(call.caller, std::to_string(label.project_id));
  if (!project) return error_response(project.error());
  auto allowed = authorize_project(call, project->name, {{resource::label, act}});
  if (!allowed) return std::move(allowed).error();
  return {};
}

// Name, description and color from a request body; the name must be 1..128 characters.
base::Result<void, http::Response> read_label_fields(const json::object& body, meta::Label& label,
                                                     bool name_required) {
  auto name = string_member(body, "name");
  if (!name) return std::move(name).error();
  if (*name) label.name = **name;
  if ((name_required || *name) && label.name.empty())
    return error_response(400, "the label name cannot be empty");
  if (label.name.size() > kMaxLabelName) return error_response(400, "the label name's max length is 128");
  auto description = string_member(body, "description");
  if (!description) return std::move(description).error();
  if (*description) label.description = **description;
  auto color = string_member(body, "color");
  if (!color) return std::move(color).error();
  if (*color) label.color = **color;
  return {};
}

// Label `id`, when the caller may `act` on it. Errors: 404, and authorize_label's.
base::Result<meta::Label, http::Response> authorized_label(Call& call, std::int64_t id,
                                                           std::string_view act) {
  auto label = call.context.labels->get_label(id);
  if (!label) return metadata_error("get label", label.error());
  if (!*label) return error_response(404, "label " + std::to_string(id) + " not found");
  if (auto allowed = authorize_label(call, **label, act); !allowed) return std::move(allowed).error();
  return std::move(**label);
}

// GET /labels?scope=g|p[&project_id=N][&name=...]: user labels of one scope, paged.
Awaitable list_labels(Call& call) {
  if (call.context.labels == nullptr) co_return unavailable();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  const std::string scope = call.request().query_param("scope").value_or("");
  if (scope != "g" && scope != "p") co_return error_response(400, "invalid scope: " + scope);
  const auto project_id = call.request().query_param("project_id");
  if (scope == "p" && (!project_id || project_id->empty()))
    co_return error_response(400, "must with project ID when to query project labels");
  meta::ListQuery query;
  query.offset = (page->page - 1) * page->page_size;
  query.limit = page->page_size;
  query.filters.push_back(meta::Filter{"scope", meta::Filter::Kind::exact, scope, {}, {}, {}});
  if (auto name = call.request().query_param("name"); name && !name->empty())
    query.filters.push_back(meta::Filter{"name", meta::Filter::Kind::fuzzy, *name, {}, {}, {}});
  co_return co_await blocking(call, [&]() -> http::Response {
    if (scope == "p") {
      meta::Label probe;
      probe.scope = "p";
      try {
        probe.project_id = std::stoll(*project_id);
      } catch (const std::exception&) {
        return error_response(400, "invalid project_id: " + *project_id);
      }
      if (auto allowed = authorize_label(call, probe, action::list); !allowed)
        return std::move(allowed).error();
      query.filters.push_back(meta::Filter{
          "project_id", meta::Filter::Kind::exact, std::to_string(probe.project_id), {}, {}, {}});
    } else if (call.caller.principal.anonymous()) {
      return error_response(401, "authentication required");
    }
    auto listed = call.context.labels->list_labels(query);
    if (!listed) return metadata_error("list labels", listed.error());
    json::array items;
    for (const auto& label : listed->items) items.push_back(label_json(label));
    http::Response response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

// POST /labels {"name", "description", "color", "scope", "project_id"}: 201 with Location.
Awaitable create_label(Call& call) {
  if (call.context.labels == nullptr) co_return unavailable();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  meta::Label label;
  if (auto fields = read_label_fields(*body, label, true); !fields) co_return std::move(fields).error();
  auto scope = string_member(*body, "scope");
  if (!scope) co_return std::move(scope).error();
  label.scope = scope->value_or("g");
  if (label.scope != "g" && label.scope != "p")
    co_return error_response(400, "invalid scope: " + label.scope);
  auto project_id = int_member(*body, "project_id");
  if (!project_id) co_return std::move(project_id).error();
  label.project_id = label.scope == "p" ? project_id->value_or(0) : 0;
  if (label.scope == "p" && label.project_id <= 0)
    co_return error_response(400, "a project label needs the project_id of its project");
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto allowed = authorize_label(call, label, action::create); !allowed)
      return std::move(allowed).error();
    auto created = call.context.labels->create_label(label);
    if (!created) return label_error("create label", created.error());
    call.context.iam.audit(call.caller, "create", "label", created->name, "", true);
    return created_response("/labels/" + std::to_string(created->id));
  });
}

Awaitable get_label(Call& call) {
  if (call.context.labels == nullptr) co_return unavailable();
  auto id = parse_id(call, "label_id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto label = authorized_label(call, *id, action::read);
    if (!label) return std::move(label).error();
    return json_response(200, label_json(*label));
  });
}

// PUT /labels/{id}: name, description and color (the scope and project stay).
Awaitable update_label(Call& call) {
  if (call.context.labels == nullptr) co_return unavailable();
  auto id = parse_id(call, "label_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto label = authorized_label(call, *id, action::update);
    if (!label) return std::move(label).error();
    if (auto fields = read_label_fields(*body, *label, false); !fields) return std::move(fields).error();
    if (auto s = call.context.labels->update_label(*label); !s) return label_error("update label", s.error());
    call.context.iam.audit(call.caller, "update", "label", label->name, "", true);
    return empty_response(200);
  });
}

// DELETE /labels/{id}: detached from every artifact, then deleted.
Awaitable delete_label(Call& call) {
  if (call.context.labels == nullptr) co_return unavailable();
  auto id = parse_id(call, "label_id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto label = authorized_label(call, *id, action::del);
    if (!label) return std::move(label).error();
    if (auto s = call.context.labels->delete_label(*id); !s) return label_error("delete label", s.error());
    call.context.iam.audit(call.caller, "delete", "label", label->name, "", true);
    return empty_response(200);
  });
}

// The digest an artifact reference names (a digest, or a tag). Errors: 404.
base::Result<std::string, http::Response> artifact_digest(Call& call, const std::string& repository) {
  const std::string& reference = call.param("reference");
  if (reference.find(':') != std::string::npos) return reference;
  auto resolved = call.context.metadata.resolve_tag(repository, reference);
  if (!resolved) return metadata_error("resolve tag", resolved.error());
  if (!*resolved) return error_response(404, "artifact " + repository + ":" + reference + " not found");
  return std::move(**resolved);
}

// POST .../artifacts/{reference}/labels {"id": N}: a global label, or one of the artifact's
// own project.
Awaitable attach_label(Call& call) {
  if (call.context.labels == nullptr) co_return unavailable();
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto id = int_member(*body, "id");
  if (!id) co_return std::move(id).error();
  if (!*id || **id <= 0) co_return error_response(400, "the label id is required");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project =
        authorize_project(call, call.param("project_name"), {{resource::artifact_label, action::create}});
    if (!project) return std::move(project).error();
    auto digest = artifact_digest(call, *repository);
    if (!digest) return std::move(digest).error();
    auto label = call.context.labels->get_label(**id);
    if (!label) return metadata_error("get label", label.error());
    if (!*label)
      return error_response(404, "the reference tries to refer a non existing label " + std::to_string(**id));
    if ((*label)->scope == "p" && (*label)->project_id != project->id)
      return error_response(400, "label " + std::to_string(**id) + " belongs to another project");
    if (auto s = call.context.labels->attach_label(*repository, *digest, **id); !s)
      return label_error("attach label", s.error());
    call.context.iam.audit(call.caller, "create", "artifact-label", *repository + "@" + *digest,
                           project->name, true, "label " + (*label)->name);
    return empty_response(200);
  });
}

Awaitable detach_label(Call& call) {
  if (call.context.labels == nullptr) co_return unavailable();
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  auto id = parse_id(call, "label_id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project =
        authorize_project(call, call.param("project_name"), {{resource::artifact_label, action::del}});
    if (!project) return std::move(project).error();
    auto digest = artifact_digest(call, *repository);
    if (!digest) return std::move(digest).error();
    if (auto s = call.context.labels->detach_label(*repository, *digest, *id); !s)
      return label_error("detach label", s.error());
    call.context.iam.audit(call.caller, "delete", "artifact-label", *repository + "@" + *digest,
                           project->name, true, "label " + std::to_string(*id));
    return empty_response(200);
  });
}

}  // namespace

std::vector<Route> label_routes() {
  using http::Method;
  const std::string artifact =
      "/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}";
  return {
      {Method::get, "/labels", list_labels},
      {Method::post, "/labels", create_label},
      {Method::get, "/labels/{label_id}", get_label},
      {Method::put, "/labels/{label_id}", update_label},
      {Method::del, "/labels/{label_id}", delete_label},
      {Method::post, artifact + "/labels", attach_label},
      {Method::del, artifact + "/labels/{label_id}", detach_label},
  };
}

}  // namespace berth::api::rest
