// The runner's join and aggregation queries: q3, q4, q6, q9, q17, q20.
#include "queries_agg.hpp"
#include "queries_join.hpp"
#include "runner.hpp"

namespace nexmark {
bool run_join(const options& o, outcome& r) {
  const generator g(o.cfg);
  const std::string& q = o.query;
  if (q == "q3") r = execute(q3(auctions(g, o.events), persons(g, o.events)), o);
  else if (q == "q4") r = execute(q4(auctions(g, o.events), bids(g, o.events)), o);
  else if (q == "q6") r = execute(q6(auctions(g, o.events), bids(g, o.events)), o);
  else if (q == "q9") r = execute(q9(auctions(g, o.events), bids(g, o.events)), o);
  else if (q == "q17") r = execute(q17(bids(g, o.events)), o);
  else if (q == "q20") r = execute(q20(bids(g, o.events), auctions(g, o.events)), o);
  else return false;
  return true;
}
}  // namespace nexmark
