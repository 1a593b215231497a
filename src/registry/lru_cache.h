// LruCache: a bounded, thread-safe least-recently-used map. Each entry has a cost (for
// example its size in bytes); the least recently used entries are dropped while the
// total cost exceeds the capacity.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace berth::registry {

template <class Key, class Value, class Hash = std::hash<Key>>
class LruCache {
 public:
  explicit LruCache(std::size_t capacity) : capacity_(capacity) {}

  std::optional<Value> get(const Key& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->value;
  }

  void put(const Key& key, Value value, std::size_t cost) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      total_ -= it->second->cost;
      entries_.erase(it->second);
      index_.erase(it);
    }
    if (cost > capacity_) return;
    entries_.push_front(Entry{key, std::move(value), cost});
    index_.emplace(key, entries_.begin());
    total_ += cost;
    while (total_ > capacity_ && !entries_.empty()) {
      total_ -= entries_.back().cost;
      index_.erase(entries_.back().key);
      entries_.pop_back();
    }
  }

  void erase(const Key& key) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      total_ -= it->second->cost;
      entries_.erase(it->second);
      index_.erase(it);
    }
  }

  // Drops every entry for which `predicate(key, value)` is true.
  void erase_if(const std::function<bool(const Key&, const Value&)>& predicate) {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (predicate(it->key, it->value)) {
        total_ -= it->cost;
        index_.erase(it->key);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  struct Entry {
    Key key;
    Value value;
    std::size_t cost;
  };
  std::mutex mutex_;
  std::size_t capacity_;
  std::size_t total_ = 0;
  std::list<Entry> entries_;
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
};

}  // namespace berth::registry
