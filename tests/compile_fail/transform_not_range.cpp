// transform's function returns the batch's records that go on (a range), not one record.
// expect: stage_must_return_range<spate::fixed_string<[0-9]+>{"transform"}, int, long unsigned int>
// expect: must return a range of records
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<int> out;
  spate::run_batch(spate::from_elements(1, 2) | spate::transform([](std::vector<int>& rs) { return rs.size(); }) |
                   spate::collect_into(out));
}
