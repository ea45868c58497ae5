// The runner's window queries: q5, q7, q8, q11, q12.
#include "queries_window.hpp"
#include "runner.hpp"

namespace nexmark {
bool run_window(const options& o, outcome& r) {
  const generator g(o.cfg);
  const std::string& q = o.query;
  if (q == "q5") r = execute(q5(bids(g, o.events)), o);
  else if (q == "q7") r = execute(q7(bids(g, o.events)), o);
  else if (q == "q8") r = execute(q8(persons(g, o.events), auctions(g, o.events)), o);
  else if (q == "q11") r = execute(q11(bids(g, o.events)), o);
  else if (q == "q12") r = execute(q12(bids(g, o.events)), o);
  else return false;
  return true;
}
}  // namespace nexmark
