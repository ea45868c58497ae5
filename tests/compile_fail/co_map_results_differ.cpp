// co_map's two functions must return one type: an int and a std::string here.
// expect: co_functions_disagree<spate::fixed_string<[0-9]+>{"co_map"}, int, int, double, std::(__cxx11::)?basic_string<char>
// expect: the two functions of a two-input stage return different types
#include <spate/spate.hpp>
#include <string>
#include <vector>
int main() {
  std::vector<int> a;
  std::vector<double> b;
  std::vector<int> out;
  spate::run(spate::connect(spate::from_collection(a), spate::from_collection(b)) |
             spate::co_map([](int x) { return x; }, [](double d) { return std::to_string(d); }) |
             spate::collect_into(out));
}
