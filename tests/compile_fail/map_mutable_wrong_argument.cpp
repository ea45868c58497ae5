// A mutable lambda is accepted (the stage calls its own copy), but not with
// the wrong argument type: map's function takes a std::string, the stream
// carries ints, and the designed message still names the stage and types.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"map"}, int, main\(\)::<lambda\(const (std::__cxx11::basic_string<char>|std::string)&\)> >
// expect: cannot be called with the previous stage's output
#include <spate/spate.hpp>
#include <string>
#include <vector>
int main() {
  std::vector<int> out;
  auto job = spate::from_elements(1, 2) |
             spate::map([n = 0](const std::string& s) mutable { return static_cast<int>(s.size()) + ++n; }) |
             spate::collect_into(out);
  spate::run(job);
}
