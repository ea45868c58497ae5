// count_distinct cannot read the values' type off a generic lambda: it asks for it.
// expect: count_distinct_value_type_unknown
// expect: name it: count_distinct<V>\(sel\)
#include <spate/spate.hpp>
#include <map>
#include <utility>
#include <vector>
int main() {
  std::vector<std::pair<int, int>> in{{1, 2}};
  std::map<int, std::int64_t> out;
  spate::run(spate::from_collection(in) | spate::key_by<0>()
             | spate::count_distinct([](const auto& p) { return p.second; }) | spate::collect_into(out));
}
