#pragma once
// Counts heap allocations made through the global operator new. Link
// alloc_counter.cpp into the test executable (it replaces operator new and
// delete for the whole program); only then do these counters move.
#include <cstddef>

namespace spate_test {

/// Allocations (calls to any global operator new) since program start.
std::size_t allocation_count() noexcept;

/// The allocations made during the lifetime of this object.
class allocation_scope {
 public:
  allocation_scope() noexcept : start_(allocation_count()) {}
  std::size_t count() const noexcept { return allocation_count() - start_; }

 private:
  std::size_t start_;
};

}  // namespace spate_test
