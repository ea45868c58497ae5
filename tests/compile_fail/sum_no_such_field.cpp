// sum names, by field<"...">, a member the reflected record does not have.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"sum"}, rec, spate::field_fn<spate::fixed_string<5>{"agee"}> >
#include <spate/spate.hpp>
#include <boost/hana/define_struct.hpp>
#include <string>
#include <vector>
struct rec {
  BOOST_HANA_DEFINE_STRUCT(rec, (std::string, name), (int, age));
};
int main() {
  std::vector<rec> in{{"a", 1}}, out;
  spate::run(spate::from_collection(in) | spate::key_by(spate::field<"name">) | spate::sum(spate::field<"agee">)
             | spate::collect_into(out));
}
