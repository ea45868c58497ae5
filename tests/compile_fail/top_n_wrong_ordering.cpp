// top_n's ordering must compare two records of the stream.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"top_n"}, std::pair<int, int>
#include <spate/spate.hpp>
#include <string>
#include <utility>
#include <vector>
int main() {
  std::vector<std::pair<int, int>> in{{1, 2}};
  std::vector<std::pair<int, std::vector<std::pair<int, int>>>> out;
  spate::run(spate::from_collection(in) | spate::key_by<0>()
             | spate::top_n<3>([](const std::string& a, const std::string& b) { return a < b; })
             | spate::collect_into(out));
}
