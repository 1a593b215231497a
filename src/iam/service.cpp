// iam::Service core: bootstrap, authentication with its caches and failed-login
// throttle, authorization, and the helpers the management parts share
// (service_users.cpp, service_projects.cpp, service_robots.cpp, service_sessions.cpp).
#include "iam/service.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "base/log.h"
#include "base/random.h"
#include "iam/permissions.h"

namespace berth::iam {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxThrottledAddresses = 100000;

// Cache keys for verified credentials: HMAC-SHA256 of name and password under a random
// per-process key, so that the cache never holds anything a password could be read or
// guessed back from. The keyed HMAC state is made once; each key costs a copy of it.
class CredentialKeys {
 public:
  CredentialKeys() {
    const std::string secret = base::random_hex(32);
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    keyed_ = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (keyed_ != nullptr && EVP_MAC_init(keyed_, reinterpret_cast<const unsigned char*>(secret.data()),
                                          secret.size(), params) != 1) {
      EVP_MAC_CTX_free(keyed_);
      keyed_ = nullptr;
    }
  }
  ~CredentialKeys() { EVP_MAC_CTX_free(keyed_); }
  CredentialKeys(const CredentialKeys&) = delete;
  CredentialKeys& operator=(const CredentialKeys&) = delete;

  // The key of (name, password); empty when OpenSSL fails (nothing is cached then).
  std::string of(std::string_view name, std::string_view password) const {
    if (keyed_ == nullptr) return {};
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
    if (ctx == nullptr) return {};
    std::array<unsigned char, 32> mac{};
    std::size_t size = 0;
    const unsigned char separator = 0;
    const bool ok =
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(name.data()), name.size()) == 1 &&
        EVP_MAC_update(ctx, &separator, 1) == 1 &&
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(password.data()), password.size()) == 1 &&
        EVP_MAC_final(ctx, mac.data(), &size, mac.size()) == 1;
    EVP_MAC_CTX_free(ctx);
    if (!ok) return {};
    return std::string(reinterpret_cast<const char*>(mac.data()), size);
  }

 private:
  EVP_MAC_CTX* keyed_ = nullptr;
};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How long facts about a robot may be cached: `ttl`, but never past its expiry.
std::chrono::seconds robot_cache_ttl(const meta::Robot& robot, std::chrono::seconds ttl) {
  if (robot.expires_at < 0) return ttl;
  return std::min(ttl, std::chrono::seconds(std::max<std::int64_t>(0, robot.expires_at - unix_now())));
}

bool robot_usable(const meta::Robot& robot) {
  if (robot.disabled) return false;
  return robot.expires_at < 0 || unix_now() < robot.expires_at;
}

Principal principal_of(const meta::User& user) {
  Principal p;
  p.kind = Principal::Kind::user;
  p.id = user.id;
  p.name = user.username;
  p.sysadmin = user.sysadmin;
  return p;
}

Principal principal_of(const meta::Robot& robot) {
  Principal p;
  p.kind = Principal::Kind::robot;
  p.id = robot.id;
  p.name = robot.name;
  p.robot_permissions = robot.permissions;
  p.robot_project_id = robot.project_id;
  return p;
}

// What anyone, signed in or not, may do in a public project.
bool public_action(std::string_view resource, std::string_view action) {
  if (resource == resource::project || resource == resource::metadata)
    return action == action::read || action == action::list;
  if (resource == resource::repository)
    return action == action::pull || action == action::list || action == action::read;
  if (resource == resource::artifact || resource == resource::tag || resource == resource::scan ||
      resource == resource::sbom || resource == resource::artifact_label)
    return action == action::read || action == action::list;
  return false;
}

// Verifies against a throw-away hash, so that an unknown name costs the same time as a
// known one and timing does not tell which names exist.
void spend_verification_time(std::string_view password) {
  static const std::string dummy = hash_password("not a real password");
  (void)verify_password(password, dummy);
}

Error unavailable(const base::Error& error) {
  BERTH_LOG_ERROR("iam: {}", error.message);
  return Error{Error::Code::internal, "the identity store is unavailable"};
}

}  // namespace

// The caches, each entry stamped with its expiry. A fill that read the database before a
// concurrent write is dropped (generation check), as in registry::Registry.
struct Service::Caches {
  template <class V>
  struct Entry {
    V value;
    Clock::time_point expires;
  };
  explicit Caches(std::size_t bound) : max_entries(bound) {}
  const std::size_t max_entries;
  std::mutex mutex;
  std::uint64_t generation = 0;
  const CredentialKeys credential_keys;
  std::unordered_map<std::string, Entry<Principal>> credentials;  // credential key -> principal
  std::unordered_map<std::string, Entry<Principal>> principals;   // name -> principal
  std::unordered_map<std::string, Entry<std::optional<meta::Project>>> projects;  // name -> project
  std::unordered_map<std::string, Entry<std::optional<meta::Role>>> roles;        // "<user id>/<project id>"
  // Credential key -> key of (name, stored hash) that the password was verified against. While
  // the account's stored hash is unchanged, verifying the password again would give the same
  // answer, so authenticate() reads the row and skips argon2. Not cleared by IAM writes: each use
  // compares with the hash read just then (a new password or a deleted account no longer match).
  std::unordered_map<std::string, std::string> verified;
  std::uint64_t password_checks = 0;

  template <class V>
  std::optional<V> get(std::unordered_map<std::string, Entry<V>>& map, const std::string& key) {
    std::lock_guard lock(mutex);
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    if (Clock::now() >= it->second.expires) {
      map.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  template <class V>
  void put(std::unordered_map<std::string, Entry<V>>& map, const std::string& key, V value,
           std::uint64_t read_generation, std::chrono::seconds ttl) {
    std::lock_guard lock(mutex);
    if (read_generation != generation) return;
    if (map.size() >= max_entries) map.clear();
    map.insert_or_assign(key, Entry<V>{std::move(value), Clock::now() + ttl});
  }

  std::uint64_t current_generation() {
    std::lock_guard lock(mutex);
    return generation;
  }

  // Whether credential `key` was verified against the stored hash whose key is `hash_key`.
  bool verified_against(const std::string& key, const std::string& hash_key) {
    if (key.empty() || hash_key.empty()) return false;
    std::lock_guard lock(mutex);
    auto it = verified.find(key);
    return it != verified.end() && constant_time_equal(it->second, hash_key);
  }

  void remember_verified(const std::string& key, std::string hash_key) {
    if (key.empty() || hash_key.empty()) return;
    std::lock_guard lock(mutex);
    if (verified.size() >= max_entries) verified.clear();
    verified.insert_or_assign(key, std::move(hash_key));
  }

  // verify_password, counted.
  bool check_password(std::string_view password, std::string_view phc_hash) {
    {
      std::lock_guard lock(mutex);
      ++password_checks;
    }
    return verify_password(password, phc_hash);
  }

  // One password check at a time per credential key: a burst of logins with the same name
  // and password (a CI fleet sharing a robot) costs one argon2 run; the others wait for it
  // and then find its result in the cache. The lock is dropped from the map with its last
  // holder.
  class Checking {
   public:
    Checking(Caches& caches, const std::string& key) : caches_(caches), key_(key) {
      {
        std::lock_guard lock(caches_.mutex);
        auto& slot = caches_.checking[key_];
        if (!slot) slot = std::make_shared<std::mutex>();
        lock_ = slot;
      }
      lock_->lock();
    }
    ~Checking() {
      lock_->unlock();
      std::lock_guard lock(caches_.mutex);
      auto it = caches_.checking.find(key_);
      lock_.reset();
      if (it != caches_.checking.end() && it->second.use_count() == 1) caches_.checking.erase(it);
    }
    Checking(const Checking&) = delete;
    Checking& operator=(const Checking&) = delete;

   private:
    Caches& caches_;
    std::string key_;
    std::shared_ptr<std::mutex> lock_;
  };
  std::unordered_map<std::string, std::shared_ptr<std::mutex>> checking;  // credential key -> lock

  void clear() {
    std::lock_guard lock(mutex);
    ++generation;
    credentials.clear();
    principals.clear();
    projects.clear();
    roles.clear();
  }
};

// Failed logins per client address.
struct Service::Throttle {
  struct State {
    int failures = 0;
    Clock::time_point window_start;
    Clock::time_point locked_until;
  };
  std::mutex mutex;
  std::unordered_map<std::string, State> addresses;
};

Service::Service(meta::IamDatabase& db, meta::Database& registry, events::Activity& activity, Options options)
    : db_(db),
      registry_(registry),
      activity_(activity),
      options_(std::move(options)),
      caches_(std::make_unique<Caches>(std::max<std::size_t>(1, options_.max_cache_entries))),
      throttle_(std::make_unique<Throttle>()) {}

Service::~Service() = default;

void Service::invalidate() {
  caches_->clear();
}

Result<BootstrapResult> Service::bootstrap(const std::optional<std::string>& admin_password) {
  BootstrapResult result;
  auto users = db_.count_users();
  if (!users) return unavailable(users.error());
  if (*users > 0) return result;
  NewUser admin;
  admin.username = "admin";
  admin.realname = "system admin";
  admin.comment = "created at first start";
  admin.sysadmin = true;
  if (admin_password) {
    admin.password = *admin_password;
  } else {
    admin.password = generate_secret(20);
    result.generated_password = admin.password;
  }
  auto created = create_user_offline(admin);
  if (!created) return std::move(created).error();
  result.created_admin = true;
  auto library = db_.find_project("library");
  if (!library) return unavailable(library.error());
  if (!*library) {
    NewProject project;
    project.name = "library";
    project.metadata["public"] = "true";
    auto made = create_project_offline(project);
    if (!made) return std::move(made).error();
    result.created_library = true;
  }
  return result;
}

// --- authentication --------------------------------------------------------------------

Result<Principal> Service::authenticate(std::string_view name, std::string_view password,
                                        const std::string& client_ip) {
  Caller caller{Principal{}, client_ip};
  caller.principal.name = std::string(name);
  auto now = Clock::now();
  {
    std::lock_guard lock(throttle_->mutex);
    auto it = throttle_->addresses.find(client_ip);
    if (it != throttle_->addresses.end() && now < it->second.locked_until) {
      audit(caller, "login", "login", std::string(name), "", false,
            "refused: address locked after failed logins");
      return Error{Error::Code::too_many_requests,
                   "too many failed logins from this address; try again later"};
    }
  }

  std::string key = caches_->credential_keys.of(name, password);
  std::optional<Caches::Checking> checking;
  if (!key.empty()) {
    if (auto cached = caches_->get(caches_->credentials, key)) return *cached;
    checking.emplace(*caches_, key);
    if (auto cached = caches_->get(caches_->credentials, key)) return *cached;  // checked meanwhile
  }

  std::uint64_t generation = caches_->current_generation();
  std::optional<Principal> principal;
  std::chrono::seconds ttl = options_.cache_ttl;
  // The password matches `stored_hash`: verified against this very hash before, or by argon2 now.
  std::string hash_key;
  const auto password_matches = [&](const std::string& stored_hash) {
    if (!key.empty()) hash_key = caches_->credential_keys.of(name, stored_hash);
    return caches_->verified_against(key, hash_key) || caches_->check_password(password, stored_hash);
  };
  if (name.starts_with(options_.robot_prefix)) {
    auto robot = db_.find_robot(std::string(name));
    if (!robot) return unavailable(robot.error());
    if (!*robot) {
      spend_verification_time(password);
    } else if (password_matches((*robot)->secret_hash) && robot_usable(**robot)) {
      principal = principal_of(**robot);
      ttl = robot_cache_ttl(**robot, ttl);
    }
  } else {
    auto user = db_.find_user(std::string(name));
    if (!user) return unavailable(user.error());
    if (!*user) {
      spend_verification_time(password);
    } else if (password_matches((*user)->password_hash)) {
      principal = principal_of(**user);
      // A hash made with older costs is replaced while the password is at hand.
      if (password_hash_outdated((*user)->password_hash)) {
        std::string rehashed = hash_password(password);
        if (auto s = db_.set_password_hash((*user)->id, rehashed); !s) {
          BERTH_LOG_WARN("iam: could not rehash the password of {}: {}", name, s.error().message);
        } else if (!key.empty()) {
          hash_key = caches_->credential_keys.of(name, rehashed);
        }
      }
    }
  }

  if (!principal) {
    bool locked_now = false;
    {
      std::lock_guard lock(throttle_->mutex);
      if (throttle_->addresses.size() >= kMaxThrottledAddresses) {
        std::erase_if(throttle_->addresses, [&](const auto& entry) {
          return entry.second.locked_until <= now &&
                 now - entry.second.window_start > options_.failure_window;
        });
      }
      auto& state = throttle_->addresses[client_ip];
      if (state.failures == 0 || now - state.window_start > options_.failure_window) {
        state.failures = 0;
        state.window_start = now;
      }
      if (++state.failures >= options_.max_failed_logins) {
        state.locked_until = now + options_.lockout;
        state.failures = 0;
        locked_now = true;
      }
    }
    audit(caller, "login", "login", std::string(name), "", false, "invalid credentials");
    if (locked_now) {
      BERTH_LOG_WARN("iam: {} failed logins from {}; address locked for {} s", options_.max_failed_logins,
                     client_ip, options_.lockout.count());
      audit(caller, "lock", "login", client_ip, "", true,
            "address locked after " + std::to_string(options_.max_failed_logins) + " failed logins");
    }
    return Error{Error::Code::unauthorized, "invalid user name or password"};
  }

  // A success does not clear the address's failures: otherwise one valid account would
  // let an address guess at another without limit. They age out with the window.
  caller.principal = *principal;
  audit(caller, "login", "login", principal->name, "", true);
  if (!key.empty()) {
    caches_->put(caches_->credentials, key, *principal, generation, ttl);
    caches_->remember_verified(key, std::move(hash_key));
  }
  return *principal;
}

std::uint64_t Service::password_checks() const {
  std::lock_guard lock(caches_->mutex);
  return caches_->password_checks;
}

std::optional<Principal> Service::cached_authentication(std::string_view name, std::string_view password,
                                                        const std::string& client_ip) {
  {
    std::lock_guard lock(throttle_->mutex);
    auto it = throttle_->addresses.find(client_ip);
    if (it != throttle_->addresses.end() && Clock::now() < it->second.locked_until) return std::nullopt;
  }
  std::string key = caches_->credential_keys.of(name, password);
  if (key.empty()) return std::nullopt;
  return caches_->get(caches_->credentials, key);
}

Result<Principal> Service::principal_by_name(std::string_view name) {
  std::string key(name);
  if (auto cached = caches_->get(caches_->principals, key)) return *cached;
  std::uint64_t generation = caches_->current_generation();
  std::optional<Principal> principal;
  std::chrono::seconds ttl = options_.cache_ttl;
  if (name.starts_with(options_.robot_prefix)) {
    auto robot = db_.find_robot(key);
    if (!robot) return unavailable(robot.error());
    if (*robot && robot_usable(**robot)) {
      principal = principal_of(**robot);
      ttl = robot_cache_ttl(**robot, ttl);
    }
  } else {
    auto user = db_.find_user(key);
    if (!user) return unavailable(user.error());
    if (*user) principal = principal_of(**user);
  }
  if (!principal)
    return Error{Error::Code::unauthorized, "the token's subject no longer exists or is disabled"};
  caches_->put(caches_->principals, key, *principal, generation, ttl);
  return *principal;
}

Result<Principal> Service::principal_by_user_id(std::int64_t user_id) {
  auto user = db_.get_user(user_id);
  if (!user) return unavailable(user.error());
  if (!*user) return Error{Error::Code::unauthorized, "the session's user no longer exists"};
  return principal_of(**user);
}

// --- authorization -------------------------------------------------------------------

std::optional<meta::Project> Service::project(std::string_view name) {
  std::string key(name);
  if (auto cached = caches_->get(caches_->projects, key)) return *cached;
  std::uint64_t generation = caches_->current_generation();
  auto found = db_.find_project(key);
  if (!found) {
    BERTH_LOG_ERROR("iam: project lookup failed: {}", found.error().message);
    return std::nullopt;
  }
  caches_->put(caches_->projects, key, *found, generation, options_.cache_ttl);
  return *found;
}

Result<std::optional<meta::Project>> Service::project_by_id(std::int64_t id) {
  auto found = db_.get_project(id);
  if (!found) return unavailable(found.error());
  return std::move(*found);
}

bool Service::allowed(const Principal& principal, std::string_view project_name, std::string_view resource,
                      std::string_view action) {
  return decide(principal, project_name, resource, action, false).value_or(false);
}

std::optional<bool> Service::allowed_if_cached(const Principal& principal, std::string_view project,
                                               std::string_view resource, std::string_view action) {
  return decide(principal, project, resource, action, true);
}

std::optional<Principal> Service::cached_principal(std::string_view name) {
  return caches_->get(caches_->principals, std::string(name));
}

std::optional<std::optional<meta::Project>> Service::cached_project(std::string_view name) {
  return caches_->get(caches_->projects, std::string(name));
}

bool Service::visit_cached_project(std::string_view name,
                                   const std::function<void(const meta::Project*)>& visit) {
  std::lock_guard lock(caches_->mutex);
  auto it = caches_->projects.find(std::string(name));
  if (it == caches_->projects.end() || Clock::now() >= it->second.expires) return false;
  visit(it->second.value ? &*it->second.value : nullptr);
  return true;
}

std::optional<bool> Service::decide(const Principal& principal, std::string_view project_name,
                                    std::string_view resource, std::string_view action, bool cache_only) {
  if (principal.sysadmin) return true;
  // What the decision needs of the project, taken without copying its metadata (this runs
  // for every registry request).
  struct Facts {
    std::int64_t id = 0;
    std::string name;
    bool is_public = false;
  };
  std::optional<Facts> found;
  auto facts_of = [](const meta::Project& p) {
    auto flag = p.metadata.find("public");
    return Facts{p.id, p.name, flag != p.metadata.end() && flag->second == "true"};
  };
  if (cache_only) {
    const bool known = visit_cached_project(project_name, [&](const meta::Project* p) {
      if (p != nullptr) found = facts_of(*p);
    });
    if (!known) return std::nullopt;
  } else if (auto p = project(project_name)) {
    found = facts_of(*p);
  }
  if (!found) return false;
  const Facts& project = *found;
  if (project.is_public && public_action(resource, action)) return true;
  if (principal.kind == Principal::Kind::robot) {
    return std::any_of(principal.robot_permissions.begin(), principal.robot_permissions.end(),
                       [&](const meta::RobotPermission& p) {
                         return (p.namespace_ == project.name || p.namespace_ == "*") &&
                                p.resource == resource && p.action == action;
                       });
  }
  if (principal.kind != Principal::Kind::user) return false;
  std::string key = std::to_string(principal.id) + "/" + std::to_string(project.id);
  std::optional<meta::Role> role;
  if (auto cached = caches_->get(caches_->roles, key)) {
    role = *cached;
  } else if (cache_only) {
    return std::nullopt;
  } else {
    std::uint64_t generation = caches_->current_generation();
    auto looked_up = db_.role_of(project.id, principal.id);
    if (!looked_up) {
      BERTH_LOG_ERROR("iam: role lookup failed: {}", looked_up.error().message);
      return false;
    }
    role = *looked_up;
    caches_->put(caches_->roles, key, role, generation, options_.cache_ttl);
  }
  return role && role_allows(*role, resource, action);
}

std::vector<std::string> Service::grantable_repository_actions(const Principal& principal,
                                                               std::string_view repository,
                                                               const std::vector<std::string>& requested) {
  std::vector<std::string> granted;
  auto slash = repository.find('/');
  if (slash == std::string_view::npos || slash == 0) return granted;
  std::string_view project = repository.substr(0, slash);
  auto grant = [&](std::string_view action) {
    if (std::find(granted.begin(), granted.end(), action) != granted.end()) return;
    if (allowed(principal, project, resource::repository, action)) granted.emplace_back(action);
  };
  for (const auto& action : requested) {
    if (action == "*") {
      grant(action::pull);
      grant(action::push);
      grant(action::del);
    } else if (action == action::pull || action == action::push || action == action::del) {
      grant(action);
    }
  }
  return granted;
}

Status Service::check_project_permission(const Caller& caller, const meta::Project& project,
                                         std::string_view resource, std::string_view action) {
  if (allowed(caller.principal, project.name, resource, action)) return Status{};
  if (caller.principal.anonymous()) return Error{Error::Code::unauthorized, "authentication required"};
  return Error{Error::Code::forbidden, "not allowed to " + std::string(action) + " " + std::string(resource) +
                                           " in project " + project.name};
}

Result<meta::Project> Service::find_project_for(const Caller& caller, std::string_view name_or_id) {
  base::Result<std::optional<meta::Project>> found = std::optional<meta::Project>{};
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(name_or_id.data(), name_or_id.data() + name_or_id.size(), id);
  if (ec == std::errc() && end == name_or_id.data() + name_or_id.size() && id > 0) {
    found = db_.get_project(id);
  } else {
    found = db_.find_project(std::string(name_or_id));
  }
  if (!found) return unavailable(found.error());
  if (!*found) return Error{Error::Code::not_found, "project " + std::string(name_or_id) + " not found"};
  const meta::Project& project = **found;
  if (!allowed(caller.principal, project.name, resource::project, action::read)) {
    if (caller.principal.anonymous()) return Error{Error::Code::unauthorized, "authentication required"};
    return Error{Error::Code::forbidden, "not allowed to see project " + project.name};
  }
  return project;
}

// --- audit ----------------------------------------------------------------------------

void Service::audit(const Caller& caller, std::string operation, std::string resource_type,
                    std::string resource, std::string project, bool success, std::string description) {
  meta::AuditRecord record;
  record.username = caller.principal.name;
  record.client_ip = caller.client_ip;
  record.operation = std::move(operation);
  record.resource_type = std::move(resource_type);
  record.resource = std::move(resource);
  record.project = std::move(project);
  record.result = success ? "success" : "failure";
  record.description = std::move(description);
  activity_.audit(std::move(record));
}

}  // namespace berth::iam
