#include "layout/layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "iam/permissions.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace berth::layout {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using base::Errc;
using base::Result;
using base::Status;

constexpr const char* kRefName = "org.opencontainers.image.ref.name";

Status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return base::make_error(Errc::io_error, "cannot write " + path.string());
  return base::ok_status();
}

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::make_error(Errc::not_found, "cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<json::object> read_object(const fs::path& path) {
  auto text = read_text(path);
  if (!text) return std::move(text).error();
  boost::system::error_code ec;
  json::value value = json::parse(*text, ec);
  if (ec || !value.is_object())
    return base::make_error(Errc::corrupt, path.string() + " is not a JSON object");
  return std::move(value.as_object());
}

std::string text_field(const json::object& object, const char* key) {
  const json::value* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

fs::path blob_file(const fs::path& layout, const oci::Digest& digest) {
  return layout / "blobs" / std::string(oci::algorithm_name(digest.algorithm())) / digest.hex();
}

meta::ListQuery everything() {
  meta::ListQuery query;
  query.limit = 0;
  return query;
}

// --- export ------------------------------------------------------------------

class RepositoryExport {
 public:
  RepositoryExport(const blob::Store& blobs, fs::path dir, Report& report)
      : blobs_(blobs), dir_(std::move(dir)), report_(report) {}

  // Writes the manifest `digest` and everything it references (children first).
  Status manifest(const std::string& digest) {
    if (!written_.insert(digest).second) return base::ok_status();
    auto parsed_digest = oci::Digest::parse(digest);
    if (!parsed_digest) return base::make_error(Errc::corrupt, "bad digest " + digest);
    auto body = blobs_.read_all(*parsed_digest);
    if (!body) return std::move(body).error();
    auto parsed = oci::parse_manifest(*body, "");
    if (!parsed) return base::make_error(Errc::corrupt, "manifest " + digest + " cannot be parsed");
    for (const auto& child : parsed->manifests)
      if (auto s = manifest(child.digest.str()); !s) return s;
    if (parsed->config)
      if (auto s = blob(parsed->config->digest); !s) return s;
    for (const auto& layer : parsed->layers)
      if (auto s = blob(layer.digest); !s) return s;
    ++report_.manifests;
    return blob(*parsed_digest);
  }

 private:
  Status blob(const oci::Digest& digest) {
    if (!blobs_written_.insert(digest.str()).second) return base::ok_status();
    const fs::path path = blob_file(dir_, digest);
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return base::make_error(Errc::io_error, "cannot create " + path.parent_path().string());
    auto s = blobs_.export_file(digest, path.string());
    if (!s && s.error().code != Errc::already_exists) return s;
    ++report_.blobs;
    return base::ok_status();
  }

  const blob::Store& blobs_;
  fs::path dir_;
  Report& report_;
  std::set<std::string> written_;
  std::set<std::string> blobs_written_;
};

Status export_repository(const Catalog& catalog, const blob::Store& blobs, const std::string& repository,
                         const fs::path& dir, Report& report) {
  std::error_code ec;
  fs::create_directories(dir / "blobs", ec);
  if (ec) return base::make_error(Errc::io_error, "cannot create " + dir.string());
  auto artifacts = catalog.metadata.list_artifacts(repository, everything());
  if (!artifacts) return std::move(artifacts).error();
  RepositoryExport out(blobs, dir, report);
  json::array entries;
  auto entry = [](const meta::ManifestRecord& m, const std::string& tag) {
    json::object e{{"mediaType", m.media_type}, {"digest", m.digest}, {"size", m.size}};
    if (!m.artifact_type.empty()) e["artifactType"] = m.artifact_type;
    if (!tag.empty()) e["annotations"] = json::object{{kRefName, tag}};
    return e;
  };
  // Each artifact, then what refers to it (signatures, SBOMs, and their own referrers).
  std::vector<meta::ManifestRecord> pending;
  for (const auto& artifact : artifacts->items) pending.push_back(artifact.manifest);
  std::set<std::string> listed;
  std::map<std::string, std::vector<std::string>> tags;
  for (const auto& artifact : artifacts->items)
    for (const auto& tag : artifact.tags) tags[artifact.manifest.digest].push_back(tag.name);
  while (!pending.empty()) {
    meta::ManifestRecord m = std::move(pending.back());
    pending.pop_back();
    if (!listed.insert(m.digest).second) continue;
    if (auto s = out.manifest(m.digest); !s) return s;
    auto it = tags.find(m.digest);
    if (it == tags.end() || it->second.empty()) {
      entries.push_back(entry(m, ""));
    } else {
      for (const auto& tag : it->second) entries.push_back(entry(m, tag));
    }
    auto referrers = catalog.metadata.referrers(repository, m.digest);
    if (!referrers) return std::move(referrers).error();
    for (auto& referrer : *referrers) {
      if (listed.contains(referrer.digest)) continue;
      auto tagged = catalog.metadata.tags_of(repository, referrer.digest);
      if (tagged) tags[referrer.digest] = *tagged;
      pending.push_back(std::move(referrer));
    }
  }
  if (auto s = write_text(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !s) return s;
  ++report.repositories;
  return write_text(dir / "index.json",
                    json::serialize(json::object{{"schemaVersion", 2},
                                                 {"mediaType", std::string(oci::media_type::oci_index)},
                                                 {"manifests", std::move(entries)}}));
}

Result<json::object> project_settings(const Catalog& catalog, const meta::Project& project) {
  json::object metadata;
  for (const auto& [key, value] : project.metadata)
    if (key != "retention_id") metadata[key] = value;  // ids mean nothing elsewhere
  json::object out{{"name", project.name}, {"metadata", std::move(metadata)}};
  auto quota = catalog.limits.get_quota(project.id);
  if (!quota) return std::move(quota).error();
  out["storage_limit"] = *quota ? (*quota)->hard : -1;
  auto members = catalog.iam.list_members(project.id, everything());
  if (!members) return std::move(members).error();
  json::array member_list;
  for (const auto& member : members->items)
    member_list.push_back(
        json::object{{"username", member.username}, {"role", std::string(iam::role_name(member.role))}});
  out["members"] = std::move(member_list);
  auto rules = catalog.immutability.list_immutable_rules(project.id);
  if (!rules) return std::move(rules).error();
  json::array rule_list;
  for (const auto& rule : *rules) {
    boost::system::error_code ec;
    rule_list.push_back(json::object{
        {"priority", rule.priority}, {"disabled", rule.disabled}, {"rule", json::parse(rule.rule_json, ec)}});
  }
  out["immutable_rules"] = std::move(rule_list);
  auto retention = catalog.retention.project_retention_policy(project.id);
  if (!retention) return std::move(retention).error();
  if (*retention) {
    boost::system::error_code ec;
    out["retention_policy"] = json::parse((*retention)->policy_json, ec);
  }
  // Robots without their secrets: only a hash of a secret is kept, and it must not travel.
  auto robots = catalog.iam.list_robots(everything());
  if (!robots) return std::move(robots).error();
  json::array robot_list;
  for (const auto& robot : robots->items) {
    if (robot.project_id != project.id) continue;
    json::array permissions;
    for (const auto& p : robot.permissions)
      permissions.push_back(
          json::object{{"namespace", p.namespace_}, {"resource", p.resource}, {"action", p.action}});
    robot_list.push_back(json::object{{"name", robot.name},
                                      {"description", robot.description},
                                      {"duration", robot.duration_days},
                                      {"disable", robot.disabled},
                                      {"permissions", std::move(permissions)}});
  }
  out["robots"] = std::move(robot_list);
  if (catalog.labels != nullptr) {
    // Every label on an artifact of the project (its own and global ones), with those artifacts.
    std::map<std::int64_t, std::pair<meta::Label, json::array>> labels;
    auto repositories = catalog.metadata.list_repository_summaries(project.name, everything());
    if (!repositories) return std::move(repositories).error();
    for (const auto& repository : repositories->items) {
      auto artifacts = catalog.metadata.list_artifacts(repository.name, everything());
      if (!artifacts) return std::move(artifacts).error();
      for (const auto& artifact : artifacts->items) {
        auto on = catalog.labels->labels_of(repository.name, artifact.manifest.digest);
        if (!on) return std::move(on).error();
        for (const auto& label : *on) {
          auto& slot = labels[label.id];
          slot.first = label;
          slot.second.emplace_back(repository.name + "@" + artifact.manifest.digest);
        }
      }
    }
    meta::ListQuery own = everything();
    own.filters.push_back(
        meta::Filter{"project_id", meta::Filter::Kind::exact, std::to_string(project.id), {}, {}, {}});
    auto project_labels = catalog.labels->list_labels(own);
    if (!project_labels) return std::move(project_labels).error();
    for (const auto& label : project_labels->items) labels.try_emplace(label.id, label, json::array());
    json::array label_list;
    for (auto& [id, entry] : labels) {
      const meta::Label& label = entry.first;
      label_list.push_back(json::object{{"name", label.name},
                                        {"description", label.description},
                                        {"color", label.color},
                                        {"scope", label.scope},
                                        {"artifacts", std::move(entry.second)}});
    }
    out["labels"] = std::move(label_list);
  }
  if (catalog.webhooks != nullptr) {
    auto policies = catalog.webhooks->list_webhook_policies(project.id);
    if (!policies) return std::move(policies).error();
    json::array policy_list;
    for (const auto& policy : *policies) {
      boost::system::error_code ec;
      policy_list.push_back(json::object{{"name", policy.name},
                                         {"enabled", policy.enabled},
                                         {"policy", json::parse(policy.policy_json, ec)}});
    }
    out["webhook_policies"] = std::move(policy_list);
  }
  return out;
}

// --- import ------------------------------------------------------------------

class RepositoryImport {
 public:
  RepositoryImport(registry::Registry& registry, std::string repository, fs::path dir, Report& report)
      : registry_(registry), repository_(std::move(repository)), dir_(std::move(dir)), report_(report) {}

  // Pushes the manifest `digest` under `reference` (a tag, or the digest), after what it needs.
  Status manifest(const std::string& digest, const std::string& media_type, const std::string& reference) {
    auto parsed_digest = oci::Digest::parse(digest);
    if (!parsed_digest) return base::make_error(Errc::corrupt, repository_ + ": bad digest " + digest);
    auto body = read_text(blob_file(dir_, *parsed_digest));
    if (!body) return base::make_error(Errc::corrupt, repository_ + ": manifest " + digest + " is missing");
    if (!pushed_.contains(digest)) {
      auto parsed = oci::parse_manifest(*body, media_type);
      if (!parsed)
        return base::make_error(Errc::corrupt, repository_ + ": manifest " + digest + " cannot be parsed");
      for (const auto& child : parsed->manifests)
        if (auto s = manifest(child.digest.str(), child.media_type, child.digest.str()); !s) return s;
      if (parsed->config)
        if (auto s = blob(parsed->config->digest); !s) return s;
      for (const auto& layer : parsed->layers)
        if (auto s = blob(layer.digest); !s) return s;
    }
    auto put = registry_.put_manifest(repository_, reference, media_type, std::move(*body));
    if (!put)
      return base::make_error(Errc::invalid_argument, repository_ + "@" + digest + ": " +
                                                          put.error().message + " " + put.error().detail);
    if (put->digest != digest)
      return base::make_error(Errc::corrupt,
                              repository_ + ": manifest " + digest + " stored as " + put->digest);
    if (pushed_.insert(digest).second) ++report_.manifests;
    return base::ok_status();
  }

 private:
  Status blob(const oci::Digest& digest) {
    if (registry_.stat_blob(repository_, digest.str())) return base::ok_status();
    const fs::path path = blob_file(dir_, digest);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return base::make_error(Errc::corrupt, repository_ + ": blob " + digest.str() + " is missing");
    base::UniqueFd file(fd);
    auto lease = registry_.start_upload(repository_);
    if (!lease) return base::make_error(Errc::io_error, repository_ + ": " + lease.error().message);
    std::string buffer(1 << 20, '\0');
    for (;;) {
      const ssize_t n = ::read(file.get(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return base::make_error(Errc::io_error, "cannot read " + path.string());
      if (n == 0) break;
      if (auto s = lease->append(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !s)
        return base::make_error(Errc::io_error, repository_ + ": " + s.error().message);
    }
    auto done = registry_.complete_upload(std::move(*lease), digest.str());
    if (!done)
      return base::make_error(Errc::corrupt,
                              repository_ + ": blob " + digest.str() + ": " + done.error().message);
    ++report_.blobs;
    return base::ok_status();
  }

  registry::Registry& registry_;
  std::string repository_;
  fs::path dir_;
  Report& report_;
  std::set<std::string> pushed_;
};

// A label attachment to make once the repositories are imported.
struct Attachment {
  std::int64_t label_id = 0;
  std::string repository;
  std::string digest;
};

// The id of the label `name` in `scope` ("g", or "p" of `project_id`), created when missing.
Result<std::int64_t> label_here(meta::LabelDatabase& labels, const json::object& exported,
                                std::int64_t project_id) {
  meta::Label label;
  label.name = text_field(exported, "name");
  label.description = text_field(exported, "description");
  label.color = text_field(exported, "color");
  label.scope = text_field(exported, "scope") == "g" ? "g" : "p";
  label.project_id = label.scope == "g" ? 0 : project_id;
  meta::ListQuery query = everything();
  query.filters.push_back(meta::Filter{"name", meta::Filter::Kind::exact, label.name, {}, {}, {}});
  query.filters.push_back(meta::Filter{"scope", meta::Filter::Kind::exact, label.scope, {}, {}, {}});
  query.filters.push_back(
      meta::Filter{"project_id", meta::Filter::Kind::exact, std::to_string(label.project_id), {}, {}, {}});
  auto found = labels.list_labels(query);
  if (!found) return std::move(found).error();
  if (!found->items.empty()) return found->items.front().id;
  auto created = labels.create_label(label);
  if (!created) return std::move(created).error();
  return created->id;
}

Status import_settings(const Catalog& catalog, std::int64_t owner, const json::object& settings,
                       Report& report, std::vector<Attachment>& attachments) {
  const std::string name = text_field(settings, "name");
  auto existing = catalog.iam.find_project(name);
  if (!existing) return std::move(existing).error();
  if (*existing) return base::ok_status();  // a project already here keeps its own settings
  meta::Project project;
  project.name = name;
  project.owner_id = owner;
  if (const auto* m = settings.if_contains("metadata"); m != nullptr && m->is_object())
    for (const auto& [key, value] : m->get_object())
      if (value.is_string()) project.metadata[std::string(key)] = std::string(value.get_string());
  if (const auto* limit = settings.if_contains("storage_limit"); limit != nullptr && limit->is_int64())
    project.storage_limit = limit->get_int64();
  auto id = catalog.iam.create_project(project);
  if (!id) return std::move(id).error();
  ++report.projects;
  if (const auto* members = settings.if_contains("members"); members != nullptr && members->is_array()) {
    for (const auto& member : members->get_array()) {
      if (!member.is_object()) continue;
      auto user = catalog.iam.find_user(text_field(member.get_object(), "username"));
      auto role = iam::role_from_name(text_field(member.get_object(), "role"));
      if (user && *user && (*user)->id == owner) continue;  // the owner is a member already
      if (!user || !*user || !role) {
        if (catalog.log)
          catalog.log(name + ": member " + text_field(member.get_object(), "username") + " skipped");
        continue;
      }
      if (auto added = catalog.iam.add_member(*id, (*user)->id, *role); !added)
        return std::move(added).error();
    }
  }
  if (const auto* rules = settings.if_contains("immutable_rules"); rules != nullptr && rules->is_array()) {
    for (const auto& rule : rules->get_array()) {
      if (!rule.is_object()) continue;
      meta::ImmutableRuleRecord record;
      record.project_id = *id;
      if (const auto* p = rule.get_object().if_contains("priority"); p != nullptr && p->is_int64())
        record.priority = p->get_int64();
      if (const auto* d = rule.get_object().if_contains("disabled"); d != nullptr && d->is_bool())
        record.disabled = d->get_bool();
      if (const auto* r = rule.get_object().if_contains("rule"); r != nullptr)
        record.rule_json = json::serialize(*r);
      if (auto created = catalog.immutability.create_immutable_rule(record, 15); !created)
        return std::move(created).error();
    }
  }
  if (const auto* policy = settings.if_contains("retention_policy");
      policy != nullptr && policy->is_object()) {
    json::object adjusted = policy->get_object();
    adjusted.erase("id");
    if (auto* scope = adjusted.if_contains("scope"); scope != nullptr && scope->is_object())
      scope->as_object()["ref"] = *id;  // the new project
    auto created = catalog.retention.create_retention_policy(*id, json::serialize(adjusted));
    if (!created) return std::move(created).error();
    if (auto s = catalog.iam.update_project_metadata(*id, {{"retention_id", std::to_string(*created)}}); !s)
      return s;
  }
  if (const auto* labels = settings.if_contains("labels");
      labels != nullptr && labels->is_array() && catalog.labels) {
    for (const auto& label : labels->get_array()) {
      if (!label.is_object()) continue;
      auto label_id = label_here(*catalog.labels, label.get_object(), *id);
      if (!label_id) return std::move(label_id).error();
      if (const auto* on = label.get_object().if_contains("artifacts"); on != nullptr && on->is_array()) {
        for (const auto& ref : on->get_array()) {
          if (!ref.is_string()) continue;
          const std::string text(ref.get_string());
          const auto at = text.find('@');
          if (at != std::string::npos)
            attachments.push_back({*label_id, text.substr(0, at), text.substr(at + 1)});
        }
      }
    }
  }
  if (const auto* hooks = settings.if_contains("webhook_policies");
      hooks != nullptr && hooks->is_array() && catalog.webhooks) {
    for (const auto& hook : hooks->get_array()) {
      if (!hook.is_object()) continue;
      meta::WebhookPolicyRecord record;
      record.project_id = *id;
      record.name = text_field(hook.get_object(), "name");
      const auto* enabled = hook.get_object().if_contains("enabled");
      record.enabled = enabled == nullptr || !enabled->is_bool() || enabled->get_bool();
      json::object policy;
      if (const auto* p = hook.get_object().if_contains("policy"); p != nullptr && p->is_object())
        policy = p->get_object();
      policy["project_id"] = *id;
      policy.erase("id");
      record.policy_json = json::serialize(policy);
      if (auto created = catalog.webhooks->create_webhook_policy(record); !created)
        return std::move(created).error();
    }
  }
  if (const auto* robots = settings.if_contains("robots");
      robots != nullptr && robots->is_array() && catalog.log) {
    for (const auto& robot : robots->get_array())
      if (robot.is_object())
        catalog.log(name + ": robot " + text_field(robot.get_object(), "name") +
                    " not recreated (its secret cannot be exported): create it again");
  }
  return base::ok_status();
}

}  // namespace

Result<Report> export_projects(const Catalog& catalog, const blob::Store& blobs, const std::string& project,
                               const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return base::make_error(Errc::already_exists, dir.string() + " is not empty");
  std::vector<meta::Project> projects;
  if (!project.empty()) {
    auto found = catalog.iam.find_project(project);
    if (!found) return std::move(found).error();
    if (!*found) return base::make_error(Errc::not_found, "no project " + project);
    projects.push_back(**found);
  } else {
    auto all = catalog.iam.list_projects(everything(), std::nullopt, false);
    if (!all) return std::move(all).error();
    projects = std::move(all->items);
  }
  fs::create_directories(dir / "projects", ec);
  fs::create_directories(dir / "repositories", ec);
  if (ec) return base::make_error(Errc::io_error, "cannot create " + dir.string() + ": " + ec.message());
  Report report;
  for (const auto& p : projects) {
    auto settings = project_settings(catalog, p);
    if (!settings) return std::move(settings).error();
    if (auto s = write_text(dir / "projects" / (p.name + ".json"), json::serialize(*settings)); !s)
      return std::move(s).error();
    ++report.projects;
    auto repositories = catalog.metadata.list_repository_summaries(p.name, everything());
    if (!repositories) return std::move(repositories).error();
    for (const auto& repository : repositories->items) {
      if (catalog.log) catalog.log("exporting " + repository.name);
      if (catalog.keep_alive)
        if (auto s = catalog.keep_alive(); !s) return std::move(s).error();
      if (auto s = export_repository(catalog, blobs, repository.name, dir / "repositories" / repository.name,
                                     report);
          !s)
        return std::move(s).error();
    }
  }
  return report;
}

Result<Report> import_projects(const Catalog& catalog, registry::Registry& registry, std::int64_t owner,
                               const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir / "projects", ec) || !fs::is_directory(dir / "repositories", ec))
    return base::make_error(Errc::invalid_argument,
                            dir.string() + " is not a Berth export (no projects/ and repositories/)");
  Report report;
  std::vector<Attachment> attachments;
  for (fs::directory_iterator it(dir / "projects", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    auto settings = read_object(it->path());
    if (!settings) return std::move(settings).error();
    if (auto s = import_settings(catalog, owner, *settings, report, attachments); !s)
      return std::move(s).error();
  }
  std::vector<fs::path> layouts;
  for (fs::recursive_directory_iterator it(dir / "repositories", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_directory() && fs::exists(it->path() / "oci-layout")) {
      layouts.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  if (ec) return base::make_error(Errc::io_error, "cannot read " + dir.string() + ": " + ec.message());
  std::sort(layouts.begin(), layouts.end());
  for (const auto& layout_dir : layouts) {
    const std::string repository = fs::relative(layout_dir, dir / "repositories").generic_string();
    if (catalog.log) catalog.log("importing " + repository);
    auto index = read_object(layout_dir / "index.json");
    if (!index) return std::move(index).error();
    const json::value* manifests = index->if_contains("manifests");
    if (manifests == nullptr || !manifests->is_array())
      return base::make_error(Errc::corrupt, (layout_dir / "index.json").string() + " has no manifests");
    RepositoryImport in(registry, repository, layout_dir, report);
    // In the index's order: an export lists each artifact before what refers to it.
    for (const auto& value : manifests->get_array()) {
      if (!value.is_object()) continue;
      const json::object* entry = &value.get_object();
      const std::string digest = text_field(*entry, "digest");
      std::string reference = digest;
      if (const auto* a = entry->if_contains("annotations"); a != nullptr && a->is_object())
        if (const auto* name = a->get_object().if_contains(kRefName); name != nullptr && name->is_string())
          reference = std::string(name->get_string());
      if (auto s = in.manifest(digest, text_field(*entry, "mediaType"), reference); !s)
        return std::move(s).error();
    }
    ++report.repositories;
  }
  for (const auto& a : attachments) {
    auto attached = catalog.labels->attach_label(a.repository, a.digest, a.label_id);
    if (!attached && attached.error().code != Errc::already_exists) {
      if (catalog.log)
        catalog.log("label not attached to " + a.repository + "@" + a.digest + ": " +
                    attached.error().message);
    }
  }
  return report;
}

}  // namespace berth::layout
