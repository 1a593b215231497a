// iam::Service, users: Harbor's rules for local (database) users. System admins manage
// every user; a user reads and edits their own profile and password. Passwords are kept
// only as argon2id hashes and never appear in an audit record or an error.
#include <algorithm>

#include "base/log.h"
#include "iam/service.h"

namespace berth::iam {
namespace {

constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxCommentLength = 30;  // Harbor's limit
constexpr std::string_view kUsernameForbidden = ",\"~#%$:";
constexpr std::string_view kRealnameForbidden = ",~#$%";

Error error(Error::Code code, std::string message) {
  return Error{code, std::move(message)};
}

// A storage failure as a service error: not_found and already_exists keep their meaning
// (with `conflict` as the message for the latter), anything else is internal and logged.
Error storage_error(std::string_view what, const base::Error& failure, std::string conflict = {}) {
  switch (failure.code) {
    case base::Errc::not_found:
      return error(Error::Code::not_found, "user not found");
    case base::Errc::already_exists:
      return error(Error::Code::conflict, conflict.empty() ? failure.message : std::move(conflict));
    case base::Errc::invalid_argument:
      return error(Error::Code::bad_request, failure.message);
    default:
      BERTH_LOG_ERROR("users: {}: {}", what, failure.message);
      return error(Error::Code::internal, std::string(what) + " failed");
  }
}

// The caller the admin command line acts as.
Caller cli_caller() {
  Caller caller;
  caller.principal.name = "cli";
  return caller;
}

bool is_self(const Caller& caller, std::int64_t user_id) {
  return caller.principal.kind == Principal::Kind::user && caller.principal.id == user_id;
}

Status require_signed_in(const Caller& caller) {
  if (caller.principal.anonymous()) return error(Error::Code::unauthorized, "unauthorized");
  return {};
}

Status require_admin(const Caller& caller) {
  if (caller.principal.anonymous()) return error(Error::Code::unauthorized, "unauthorized");
  if (!caller.principal.sysadmin)
    return error(Error::Code::forbidden, "only system administrators may do this");
  return {};
}

Status require_self_or_admin(const Caller& caller, std::int64_t user_id) {
  if (caller.principal.anonymous()) return error(Error::Code::unauthorized, "unauthorized");
  if (!is_self(caller, user_id) && !caller.principal.sysadmin)
    return error(Error::Code::forbidden, "not allowed to access user " + std::to_string(user_id));
  return {};
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool has_any_of(std::string_view text, std::string_view characters) {
  return text.find_first_of(characters) != std::string_view::npos;
}

// Harbor's shape of an e-mail address: a local part without spaces, quotes, brackets or
// separators, "@", and a domain of letter/digit/hyphen labels ending in a label of at
// least two letters.
bool looks_like_email(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view local = email.substr(0, at);
  if (has_any_of(local, "<>()[]\\,;:\" \t") || has_control_character(local) || local.front() == '.' ||
      local.back() == '.' || local.find("..") != std::string_view::npos)
    return false;
  std::string_view domain = email.substr(at + 1);
  std::size_t labels = 0;
  std::string_view last;
  while (true) {
    const auto dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty()) return false;
    const bool ok = std::all_of(label.begin(), label.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!ok) return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  return labels >= 2 && last.size() >= 2 && std::all_of(last.begin(), last.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
         });
}

Status validate_username(std::string_view name, std::string_view robot_prefix) {
  if (name.empty() || name.size() > kMaxNameLength)
    return error(Error::Code::bad_request, "username must be 1 to 255 characters long");
  if (has_any_of(name, kUsernameForbidden) || has_control_character(name))
    return error(Error::Code::bad_request,
                 "username must not contain any of , \" ~ # % $ : or control characters");
  if (!robot_prefix.empty() && name.starts_with(robot_prefix))
    return error(Error::Code::bad_request, "username must not start with the robot account prefix");
  return {};
}

Status validate_profile(const UserProfile& profile) {
  if (profile.email && !profile.email->empty() &&
      (profile.email->size() > kMaxNameLength || !looks_like_email(*profile.email)))
    return error(Error::Code::bad_request, "email with illegal format");
  if (profile.realname) {
    if (profile.realname->size() > kMaxNameLength)
      return error(Error::Code::bad_request, "realname with illegal length");
    if (has_any_of(*profile.realname, kRealnameForbidden) || has_control_character(*profile.realname))
      return error(Error::Code::bad_request, "realname contains illegal characters");
  }
  if (profile.comment && profile.comment->size() > kMaxCommentLength)
    return error(Error::Code::bad_request, "comment with illegal length (at most 30 characters)");
  return {};
}

Status check_password(std::string_view password, const PasswordPolicy& policy) {
  if (auto checked = check_password_policy(password, policy); !checked)
    return error(Error::Code::bad_request, checked.error().message);
  return {};
}

}  // namespace

Result<meta::User> Service::create_user(const Caller& caller, const NewUser& user) {
  if (auto allowed = require_admin(caller); !allowed) {
    audit(caller, "create", "user", user.username, "", false, allowed.error().message);
    return allowed.error();
  }
  if (auto valid = validate_username(user.username, options_.robot_prefix); !valid) return valid.error();
  if (auto valid = validate_profile(UserProfile{user.email, user.realname, user.comment}); !valid)
    return valid.error();
  if (auto valid = check_password(user.password, options_.password_policy); !valid) return valid.error();

  meta::User record;
  record.username = user.username;
  record.email = user.email;
  record.realname = user.realname;
  record.comment = user.comment;
  record.password_hash = hash_password(user.password);
  record.sysadmin = user.sysadmin;
  auto id = db_.create_user(record);
  if (!id) {
    Error failure = storage_error("creating the user", id.error(), "the user name or email is already taken");
    audit(caller, "create", "user", user.username, "", false, failure.message);
    return failure;
  }
  invalidate();
  audit(caller, "create", "user", user.username, "", true, user.sysadmin ? "system administrator" : "");
  auto created = db_.get_user(*id);
  if (!created || !*created) return error(Error::Code::internal, "reading the new user failed");
  return std::move(**created);
}

Result<meta::User> Service::create_user_offline(const NewUser& user) {
  // The command line acts with an administrator's rights; the audit log names it "cli".
  Caller cli = cli_caller();
  cli.principal.kind = Principal::Kind::user;
  cli.principal.sysadmin = true;
  return create_user(cli, user);
}

Result<meta::User> Service::get_user(const Caller& caller, std::int64_t id) {
  if (auto allowed = require_self_or_admin(caller, id); !allowed) return allowed.error();
  auto user = db_.get_user(id);
  if (!user) return storage_error("reading the user", user.error());
  if (!*user) return error(Error::Code::not_found, "user " + std::to_string(id) + " not found");
  return std::move(**user);
}

Result<meta::Listing<meta::User>> Service::list_users(const Caller& caller, const meta::ListQuery& query) {
  if (auto allowed = require_admin(caller); !allowed) return allowed.error();
  auto users = db_.list_users(query);
  if (!users) return storage_error("listing users", users.error());
  return std::move(*users);
}

Result<meta::Listing<meta::User>> Service::search_users(const Caller& caller, const std::string& fragment,
                                                        std::size_t offset, std::size_t limit) {
  if (auto allowed = require_signed_in(caller); !allowed) return allowed.error();
  meta::ListQuery query;
  query.filters.push_back(meta::Filter{"username", meta::Filter::Kind::fuzzy, fragment, {}, {}, {}});
  query.offset = offset;
  query.limit = limit;
  auto users = db_.list_users(query);
  if (!users) return storage_error("searching users", users.error());
  return std::move(*users);
}

Status Service::update_user(const Caller& caller, std::int64_t id, const UserProfile& profile) {
  if (auto allowed = require_self_or_admin(caller, id); !allowed) return allowed.error();
  if (auto valid = validate_profile(profile); !valid) return valid.error();
  auto user = db_.get_user(id);
  if (!user) return storage_error("reading the user", user.error());
  if (!*user) return error(Error::Code::not_found, "user " + std::to_string(id) + " not found");
  meta::User updated = std::move(**user);
  if (profile.email) updated.email = *profile.email;
  if (profile.realname) updated.realname = *profile.realname;
  if (profile.comment) updated.comment = *profile.comment;
  if (auto written = db_.update_user(updated); !written) {
    Error failure = storage_error("updating the user", written.error(), "the email is already taken");
    audit(caller, "update", "user", updated.username, "", false, failure.message);
    return failure;
  }
  invalidate();
  audit(caller, "update", "user", updated.username, "", true, "profile");
  return {};
}

Status Service::set_sysadmin(const Caller& caller, std::int64_t id, bool sysadmin) {
  if (auto allowed = require_admin(caller); !allowed) return allowed.error();
  if (!sysadmin && is_self(caller, id))
    return error(Error::Code::forbidden, "a system administrator cannot remove their own administrator role");
  auto user = db_.get_user(id);
  if (!user) return storage_error("reading the user", user.error());
  if (!*user) return error(Error::Code::not_found, "user " + std::to_string(id) + " not found");
  meta::User updated = std::move(**user);
  updated.sysadmin = sysadmin;
  if (auto written = db_.update_user(updated); !written)
    return storage_error("updating the user", written.error());
  invalidate();
  audit(caller, "update", "user", updated.username, "", true,
        sysadmin ? "granted system administrator" : "revoked system administrator");
  return {};
}

Status Service::change_password(const Caller& caller, std::int64_t id, const std::string& old_password,
                                const std::string& new_password) {
  if (auto allowed = require_self_or_admin(caller, id); !allowed) return allowed.error();
  auto user = db_.get_user(id);
  if (!user) return storage_error("reading the user", user.error());
  if (!*user) return error(Error::Code::not_found, "user " + std::to_string(id) + " not found");
  const meta::User& current = **user;
  // Anyone changing their own password proves they know it (an administrator too).
  if (is_self(caller, id) && !verify_password(old_password, current.password_hash)) {
    audit(caller, "update", "user", current.username, "", false,
          "password change refused: wrong current password");
    return error(Error::Code::forbidden, "Current password is incorrect");
  }
  if (auto valid = check_password(new_password, options_.password_policy); !valid) return valid.error();
  if (verify_password(new_password, current.password_hash))
    return error(Error::Code::bad_request, "New password is identical to old password");
  if (auto written = db_.set_password_hash(id, hash_password(new_password)); !written)
    return storage_error("setting the password", written.error());
  invalidate();
  audit(caller, "update", "user", current.username, "", true, "password changed");
  return {};
}

Status Service::reset_password_offline(const std::string& username, const std::string& new_password) {
  if (auto valid = check_password(new_password, options_.password_policy); !valid) return valid.error();
  auto user = db_.find_user(username);
  if (!user) return storage_error("reading the user", user.error());
  if (!*user) return error(Error::Code::not_found, "user " + username + " not found");
  if (auto written = db_.set_password_hash((*user)->id, hash_password(new_password)); !written)
    return storage_error("setting the password", written.error());
  invalidate();
  audit(cli_caller(), "update", "user", username, "", true, "password reset");
  return {};
}

Status Service::delete_user(const Caller& caller, std::int64_t id) {
  if (auto allowed = require_admin(caller); !allowed) return allowed.error();
  if (is_self(caller, id))
    return error(Error::Code::forbidden, "a system administrator cannot delete themselves");
  auto user = db_.get_user(id);
  if (!user) return storage_error("reading the user", user.error());
  if (!*user) return error(Error::Code::not_found, "user " + std::to_string(id) + " not found");
  if (auto deleted = db_.delete_user(id); !deleted)
    return storage_error("deleting the user", deleted.error());
  invalidate();
  audit(caller, "delete", "user", (*user)->username, "", true);
  return {};
}

}  // namespace berth::iam
