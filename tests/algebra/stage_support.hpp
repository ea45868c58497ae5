#pragma once
// What the tests of the algebra's stages share.
#include <algorithm>
#include <string>
#include <vector>

namespace spate_test {

struct sale {
  std::string shop;
  int amount;
};

template <class J>
auto sorted(std::vector<J> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace spate_test
