// field<"name"> names a member the reflected struct does not have.
// expect: no_such_field<view, spate::fixed_string<[0-9]+>{"usr"}>
// expect: the record has no reflected member of this name
// The one error is reported where the stage calls the field (through
// core/stage_error.hpp, whose name also matches "error"): three lines.
// max-error-lines: 3
#include <boost/hana/define_struct.hpp>
#include <spate/spate.hpp>
#include <map>
#include <string>
struct view {
  BOOST_HANA_DEFINE_STRUCT(view, (std::string, user), (int, millis));
};
int main() {
  std::map<int, std::int64_t> out;
  spate::run(spate::from_elements(view{"ann", 1}) | spate::key_by(spate::field<"usr">) | spate::count() |
             spate::collect_into(out));
}
