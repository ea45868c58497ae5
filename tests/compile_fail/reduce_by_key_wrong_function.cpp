// On a pair stream reduce_by_key's function combines values (int), not keys.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"reduce_by_key"}, std::pair<std::(__cxx11::basic_string<char>|string), int>
#include <spate/spate.hpp>
#include <string>
#include <utility>
#include <vector>
int main() {
  std::vector<std::pair<std::string, int>> in{{"a", 1}}, out;
  spate::run(spate::from_collection(in) |
             spate::reduce_by_key([](const std::string& a, const std::string& b) { return a + b; }) |
             spate::collect_into(out));
}
