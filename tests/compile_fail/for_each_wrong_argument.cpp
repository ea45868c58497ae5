// for_each's function cannot take the records (pairs from a keyed count).
// expect: sink_cannot_accept_input<spate::fixed_string<[0-9]+>{"for_each"}, std::pair<std::(__cxx11::basic_string<char>|string), long int>
#include <spate/spate.hpp>
#include <string>
#include <vector>
int main() {
  std::vector<std::string> words{"a", "b"};
  spate::run(spate::from_collection(words) | spate::key_by([](const std::string& w) { return w; }) | spate::count() |
             spate::for_each([](int) {}));
}
