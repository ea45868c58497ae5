// The runner's queries on the top-N, distinct-count and dedup stages:
// q15, q16, q18, q19.
#include "queries_ops.hpp"
#include "runner.hpp"

namespace nexmark {
bool run_ops(const options& o, outcome& r) {
  const generator g(o.cfg);
  const std::string& q = o.query;
  if (q == "q15") r = execute(q15(bids(g, o.events)), o);
  else if (q == "q16") r = execute(q16(bids(g, o.events)), o);
  else if (q == "q18") r = execute(q18(bids(g, o.events)), o);
  else if (q == "q19") r = execute(q19(bids(g, o.events)), o);
  else return false;
  return true;
}
}  // namespace nexmark
