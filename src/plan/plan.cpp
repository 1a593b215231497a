#include "plan/plan.h"

#include "base/log.h"

namespace berth::plan {
namespace {

constexpr const char* kSetting = "plan";

base::Status check_upgrade(const Catalog& catalog, const std::string& from, const std::string& to) {
  if (catalog.rank(to) < 0)
    return base::make_error(base::Errc::invalid_argument,
                            "unknown plan " + to + ": expected S, M, L or unlimited");
  if (catalog.rank(to) < catalog.rank(from))
    return base::make_error(base::Errc::conflict, "the plan cannot go down from " + from + " to " + to +
                                                      ": plans are only upgraded");
  return base::ok_status();
}

}  // namespace

Catalog Catalog::standard() {
  return Catalog{{{"S", 200LL << 30, 15, false},
                  {"M", 600LL << 30, 45, true},
                  {"L", 5LL << 40, 90, true},
                  {"unlimited", -1, 0, true}}};
}

const Limits* Catalog::find(const std::string& name) const {
  for (const auto& plan : plans)
    if (plan.name == name) return &plan;
  return nullptr;
}

int Catalog::rank(const std::string& name) const {
  for (std::size_t i = 0; i < plans.size(); ++i)
    if (plans[i].name == name) return static_cast<int>(i);
  return -1;
}

Current::Current(Catalog catalog, meta::LimitsDatabase& settings)
    : catalog_(std::move(catalog)), settings_(settings) {}

base::Status Current::load(const std::string& configured) {
  if (catalog_.rank(configured) < 0)
    return base::make_error(base::Errc::invalid_argument, "unknown plan " + configured);
  auto stored = settings_.get_setting(kSetting);
  if (!stored) return stored.error();
  std::string name = configured;
  if (*stored && catalog_.rank(**stored) >= 0) {
    if (catalog_.rank(configured) < catalog_.rank(**stored)) {
      BERTH_LOG_WARN("config plan {} is below the plan {} this registry was upgraded to: staying on {}",
                     configured, **stored, **stored);
      name = **stored;
    }
  }
  if (!*stored || **stored != name)
    if (auto s = settings_.set_setting(kSetting, name); !s) return s;
  apply(*catalog_.find(name));
  return base::ok_status();
}

Limits Current::get() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void Current::on_change(Listener listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

base::Status Current::upgrade(const std::string& name) {
  const Limits before = get();
  if (auto s = check_upgrade(catalog_, before.name, name); !s) return s;
  if (name == before.name) return base::ok_status();
  if (auto s = settings_.set_setting(kSetting, name); !s) return s;
  BERTH_LOG_INFO("plan upgraded from {} to {}", before.name, name);
  apply(*catalog_.find(name));
  return base::ok_status();
}

void Current::refresh() {
  auto stored = settings_.get_setting(kSetting);
  if (!stored || !*stored) return;
  const Limits now = get();
  if (**stored == now.name || catalog_.rank(**stored) <= catalog_.rank(now.name)) return;
  BERTH_LOG_INFO("plan upgraded from {} to {}", now.name, **stored);
  apply(*catalog_.find(**stored));
}

void Current::apply(const Limits& limits) {
  std::vector<Listener> listeners;
  {
    std::lock_guard lock(mutex_);
    current_ = limits;
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener(limits);
}

base::Result<std::string> store_upgrade(const Catalog& catalog, meta::LimitsDatabase& settings,
                                        const std::string& configured, const std::string& name) {
  auto stored = settings.get_setting(kSetting);
  if (!stored) return stored.error();
  const std::string from = *stored ? **stored : configured;
  if (auto s = check_upgrade(catalog, from, name); !s) return s.error();
  if (auto s = settings.set_setting(kSetting, name); !s) return s.error();
  return from;
}

}  // namespace berth::plan
