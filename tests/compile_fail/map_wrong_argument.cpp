// map's function takes a std::string, the stream carries ints.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"map"}, int, main\(\)::<lambda\(const (std::__cxx11::basic_string<char>|std::string)&\)> >
// expect: cannot be called with the previous stage's output
#include <spate/spate.hpp>
#include <string>
#include <vector>
int main() {
  std::vector<int> out;
  auto job = spate::from_elements(1, 2) | spate::map([](const std::string& s) { return static_cast<int>(s.size()); }) |
             spate::collect_into(out);
  spate::run(job);
}
