// keep_first deduplicates per key; the stream is not keyed.
// expect: stage_needs_keyed_stream<spate::fixed_string<[0-9]+>{"keep_first"}, int>
// expect: put spate::key_by\(\.\.\.\) before it
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2, 1) | spate::keep_first() | spate::collect_into(out));
}
