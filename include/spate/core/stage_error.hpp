#pragma once
// An exception thrown by user code inside a stage, rethrown with the stage's
// name and position, so that "which stage failed" is never a guess.
#include <cstddef>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace spate {

class stage_error : public std::runtime_error {
 public:
  stage_error(std::string stage, std::size_t position, std::string what)
      : std::runtime_error("stage '" + stage + "' (#" + std::to_string(position) + " in its pipeline) failed: " + what),
        stage_(std::move(stage)), position_(position) {}
  const std::string& stage() const noexcept { return stage_; }
  std::size_t position() const noexcept { return position_; }

 private:
  std::string stage_;
  std::size_t position_;
};

/// Where a built stage sits: its name (the descriptor's, or one the user gave)
/// and its position counted from the source (the source is #0).
struct stage_label {
  std::string_view name;
  std::size_t position = 0;
};

namespace detail {
// A plain call where the function is callable; std::invoke only for member
// pointers. GCC inlines std::invoke late, after the vectorizer has given up on
// the loop around it.
template <class F, class... A>
[[gnu::always_inline]] inline decltype(auto) invoke_direct(F&& f, A&&... a) noexcept(
    std::is_nothrow_invocable_v<F, A...>) {
  if constexpr (std::is_member_pointer_v<std::remove_cvref_t<F>>)
    return std::invoke(std::forward<F>(f), std::forward<A>(a)...);
  else
    return std::forward<F>(f)(std::forward<A>(a)...);
}

// Calls user code; an exception leaves as a stage_error naming the stage.
// When the call cannot throw the handler disappears from the generated code.
template <class F, class... A>
[[gnu::always_inline]] inline decltype(auto) call_user(const stage_label& where, F&& f, A&&... a) {
  if constexpr (std::is_nothrow_invocable_v<F, A...>) {
    return invoke_direct(std::forward<F>(f), std::forward<A>(a)...);
  } else {
    try {
      return invoke_direct(std::forward<F>(f), std::forward<A>(a)...);
    } catch (const stage_error&) {
      throw;
    } catch (const std::exception& e) {
      std::throw_with_nested(stage_error(std::string(where.name), where.position, e.what()));
    } catch (...) {
      std::throw_with_nested(stage_error(std::string(where.name), where.position, "unknown exception"));
    }
  }
}
}  // namespace detail
}  // namespace spate
