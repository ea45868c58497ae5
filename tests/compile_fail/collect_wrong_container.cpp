// The container holds strings, the pipeline produces ints.
// expect: sink_cannot_accept_input<spate::fixed_string<[0-9]+>{"collect_into"}, int, std::vector<std::(__cxx11::basic_string<char>|string)
#include <spate/spate.hpp>
#include <string>
#include <vector>
int main() {
  std::vector<std::string> out;
  spate::run(spate::from_elements(1, 2) | spate::map([](int x) { return x * 2; }) | spate::collect_into(out));
}
