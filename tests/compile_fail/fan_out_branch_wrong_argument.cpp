// A branch of a fan_out is checked like a pipeline of its own: its map's
// function takes a std::string, the stream carries ints.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"map"}, int, main\(\)::<lambda\(const (std::__cxx11::basic_string<char>|std::string)&\)> >
// expect: cannot be called with the previous stage's output
#include <spate/spate.hpp>
#include <string>
#include <vector>
int main() {
  std::vector<int> a, b;
  auto job = spate::from_elements(1, 2) |
             spate::fan_out(spate::branch() | spate::collect_into(a),
                            spate::branch() | spate::map([](const std::string& s) { return static_cast<int>(s.size()); }) |
                                spate::collect_into(b));
  spate::run(job);
}
