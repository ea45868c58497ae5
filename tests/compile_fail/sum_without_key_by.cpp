// sum works per key (Flink's keyBy(...).sum(...)); the stream is not keyed.
// expect: stage_needs_keyed_stream<spate::fixed_string<[0-9]+>{"sum"}, std::tuple<int, int> >
// expect: put spate::key_by\(\.\.\.\) before it
#include <spate/spate.hpp>
#include <tuple>
#include <vector>
int main() {
  std::vector<std::tuple<int, int>> in{{1, 2}}, out;
  spate::run(spate::from_collection(in) | spate::sum<1>() | spate::collect_into(out));
}
