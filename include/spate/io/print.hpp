#pragma once
// print(os = std::cout): writes records as text (see core/format.hpp).
// Under a record-at-a-time executor each record is a line as it arrives.
// Under micro-batch execution it prints, per batch, Spark's DStream.print():
//   -------------------------------------------
//   Time: 1700000000000 ms
//   -------------------------------------------
//   (word,3)
//   ...            (when the batch had more than `num` records)
//   <empty line>
#include <cstddef>
#include <iostream>
#include <ostream>
#include <string>
#include <vector>

#include "../algebra/stage.hpp"
#include "../core/format.hpp"

namespace spate {

struct print_sink : sink_tag {
  std::ostream* os;
  std::size_t num = 10;
  static constexpr const char* name = "print";

  template <class Flow>
  static constexpr bool check() {
    return text_sink_accepts<"print", Flow>();
  }

  template <emit_mode Mode>
  struct built : sink_control {
    std::ostream* os;
    std::size_t num;
    std::vector<std::string> first;  // the batch's first num+1 records, as text
    template <class R>
    bool push(const R& r) {
      if constexpr (Mode == emit_mode::rolling) {
        write_text(*os, r);
        *os << '\n';
      } else if (first.size() <= num) {
        first.push_back(to_text(r));
      }
      return true;
    }
    void on_batch_end(const batch_info& b) {
      if constexpr (Mode == emit_mode::compacted) {
        *os << "-------------------------------------------\n"
            << "Time: " << to_millis(b.time) << " ms\n"
            << "-------------------------------------------\n";
        for (std::size_t i = 0; i < first.size() && i < num; ++i) *os << first[i] << '\n';
        if (first.size() > num) *os << "...\n";
        *os << '\n';
        first.clear();
      }
      os->flush();
    }
    void on_end() { os->flush(); }
  };
  template <class Flow, class Env>
  auto build(Env&, stage_label) const {
    return built<Env::mode>{{}, os, num, {}};
  }
};

/// Prints records to os (std::cout by default); per batch, the first num.
inline print_sink print(std::ostream& os = std::cout, std::size_t num = 10) { return print_sink{{}, &os, num}; }

}  // namespace spate
