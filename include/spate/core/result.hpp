#pragma once
// spate::result<T> and spate::error: how decoding (and anything else that can
// fail on bad input) reports failure. Bad bytes are data, not a bug, so they
// come back as a value the caller must look at — never as UB, never as an
// exception on the hot path.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace spate {

// What went wrong and where. `source` names the thing that failed
// ("binary<Order>"), `offset` is the byte where the offending item starts,
// `field` is the path to the value being decoded ("items[2].price").
struct error {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  std::string what;
  std::size_t offset = npos;
  std::string field;
  std::string source;

  error() = default;
  explicit error(std::string what_, std::size_t offset_ = npos, std::string field_ = {}, std::string source_ = {})
      : what(std::move(what_)), offset(offset_), field(std::move(field_)), source(std::move(source_)) {}

  // "binary<Order>: at byte 12 (field 'price'): truncated input, needed 8 bytes, 3 left"
  std::string message() const {
    std::string location;
    if (offset != npos) location = "at byte " + std::to_string(offset);
    if (!field.empty()) {
      location += location.empty() ? "field '" + field + "'" : " (field '" + field + "')";
    }
    std::string out = source;
    for (std::string_view part : {std::string_view(location), std::string_view(what)}) {
      if (part.empty()) continue;
      if (!out.empty()) out += ": ";
      out += part;
    }
    return out;
  }

  // Decoders build the field path while the error travels up: the innermost
  // decoder knows the byte, each enclosing one adds its own path segment.
  // Index segments ("[2]") attach without a dot.
  error& in_field(std::string_view segment) & {
    if (field.empty()) {
      field = segment;
    } else {
      field.insert(0, field.front() == '[' ? std::string(segment) : std::string(segment) + ".");
    }
    return *this;
  }
  error&& in_field(std::string_view segment) && { return std::move(in_field(segment)); }
};

// Thrown only by result<T>::value() (and operator*, operator->) when the
// caller insists on a value that is not there.
class error_exception : public std::runtime_error {
 public:
  explicit error_exception(spate::error e) : std::runtime_error(e.message()), error_(std::move(e)) {}
  const spate::error& error() const noexcept { return error_; }

 private:
  spate::error error_;
};

// Holds a T or a spate::error. Accessing the wrong alternative throws
// instead of being undefined: a decoding mistake must never turn into
// reading garbage.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T> && !std::is_same_v<std::remove_cv_t<T>, spate::error>,
                "spate::result<T>: T must be an object type other than spate::error");

 public:
  using value_type = T;

  result(const T& v) : v_(std::in_place_index<0>, v) {}
  result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  result(spate::error e) : v_(std::in_place_index<1>, std::move(e)) {}
  template <class... Args>
  explicit result(std::in_place_t, Args&&... args) : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { check(); return *std::get_if<0>(&v_); }
  const T& value() const& { check(); return *std::get_if<0>(&v_); }
  T&& value() && { check(); return std::move(*std::get_if<0>(&v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }

  // Precondition: !ok(). Asking a success for its error is a logic error.
  const spate::error& error() const& { check_error(); return *std::get_if<1>(&v_); }
  spate::error& error() & { check_error(); return *std::get_if<1>(&v_); }
  spate::error&& error() && { check_error(); return std::move(*std::get_if<1>(&v_)); }

 private:
  void check() const {
    if (!ok()) throw error_exception(*std::get_if<1>(&v_));
  }
  void check_error() const {
    if (ok()) throw std::logic_error("spate::result::error() called on a result that holds a value");
  }

  std::variant<T, spate::error> v_;
};

}  // namespace spate
