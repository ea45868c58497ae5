// foreach_batch's function takes a batch's records (a vector), not one record.
// expect: sink_cannot_accept_input<spate::fixed_string<[0-9]+>{"foreach_batch"}, int
#include <spate/spate.hpp>
int main() {
  spate::run_batch(spate::from_elements(1, 2) | spate::foreach_batch([](int) {}));
}
