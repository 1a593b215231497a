// Result<T>: a value or an Error. Used across module boundaries instead of exceptions.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace berth::base {

// Generic failure kinds of the storage and base layers. Services translate them into
// their own domain errors (for example oci::Error) where a caller needs more.
enum class Errc {
  not_found,
  invalid_argument,
  already_exists,
  conflict,
  out_of_range,
  too_large,
  limit_exceeded,  // a quota or plan limit would be exceeded
  unsupported,
  corrupt,
  io_error,
  unavailable,
  cancelled,
  internal,
};

std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  E&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, E> v_;
};

// Result<void>: success or an Error.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : err_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const E& error() const& {
    assert(failed_);
    return err_;
  }
  E&& error() && {
    assert(failed_);
    return std::move(err_);
  }

 private:
  E err_{};
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() {
  return Status{};
}

}  // namespace berth::base
