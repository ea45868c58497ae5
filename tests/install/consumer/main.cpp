#include <spate/spate.hpp>

#include <iostream>
#include <map>
#include <string>

int main() {
  std::map<std::string, std::int64_t> counts;
  spate::run(spate::from_elements(std::string("a b"), std::string("a"))
             | spate::flat_map([](const std::string& l) { return spate::words(l); })
             | spate::key_by([](std::string_view w) { return w; })
             | spate::count()
             | spate::collect_into(counts));
  for (const auto& [w, n] : counts) std::cout << w << '\t' << n << '\n';
}
