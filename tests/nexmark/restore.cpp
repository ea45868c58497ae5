// The restore law for whole Nexmark queries (issue 15): a query run under a
// checkpointed context, crashed (an immediate stop) after a checkpoint that
// completed in the middle of its input, and started again from that
// checkpoint, writes exactly what one uninterrupted run writes.
//
// Output goes through the exactly-once sink, rolling_text_files: after the
// crash its visible parts hold what the restored checkpoint counts as
// written, the restore drops the rest, and the sources replay it. Each row is
// written as one line "key \t weak \t row", and the comparison is what the
// query's semantics promise:
//   rows          the multiset of rows (windows, joins, and every update of
//                 a rolling query at P = 1, where the bids arrive in the
//                 generator's order)
//   last_per_key  each key's last value (rolling queries where the updates
//                 depend on the order in which two inputs or two shards
//                 meet), with `counted` also the number of updates where that
//                 number does not depend on the order (one per bid, one per
//                 closed auction)
// Queries: q3 q4 q5 q6 q7 q8 q9 q11 q15 q16 q17 q18 q19 q20 (every stateful
// query but q12, which is on processing time), each at P = 1 and P = 2,
// restored at the parallelism it was checkpointed at. A restore at another
// parallelism is refused for these jobs (the generator's shards cannot be
// cut anew, and the watermark generators' state has no keys to move by); the
// last test checks that it is refused with a message, and that the
// checkpoint then still restores at its own parallelism.
//
// Eight of the queries need binary encodings for their state that
// examples/nexmark and spate do not give (below, before the tests).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <spate/spate.hpp>

#include "../checkpoint/support.hpp"
#include "checkpoint_wait.hpp"
#include "generator.hpp"
#include "queries_agg.hpp"
#include "queries_join.hpp"
#include "queries_ops.hpp"
#include "queries_window.hpp"
#include "sources.hpp"


using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// ---- the events -------------------------------------------------------------

/// 30 000 events at 250 a second of event time: two minutes, which hold a
/// dozen 10 s windows (sixty of q5's sliding ones), sessions that close and
/// auctions that expire, with the crash in the middle of them.
constexpr std::uint64_t n_events = 30'000;

const nexmark::generator& gen() {
  static const nexmark::generator g([] {
    nexmark::config c;
    c.seed = 42;
    c.event_rate = 250;
    return c;
  }());
  return g;
}

// ---- sources that count what they read -------------------------------------

/// The generator's function of one kind of event, counting its calls: the
/// source reads one index per call, so the count is the records the source
/// read (the restored run's is what it read after the checkpoint's position).
template <class At>
struct counted {
  At at;
  std::atomic<std::uint64_t>* reads;
  auto operator()(std::uint64_t i) const {
    reads->fetch_add(1, std::memory_order_relaxed);
    return at(i);
  }
};

/// nexmark::bids / auctions / persons (sources.hpp), each with a counting
/// generator function.
struct sources {
  std::atomic<std::uint64_t>* reads;
  auto bids() const {
    return spate::generate(counted<nexmark::bid_at_fn>{{gen()}, reads}, n_events) |
           spate::with_watermarks(nexmark::date_time_fn{}, nexmark::watermark_4s{}) |
           spate::filter(nexmark::has_value_fn{}) | spate::map(nexmark::unwrap_fn<nexmark::bid>{});
  }
  auto auctions() const {
    return spate::generate(counted<nexmark::auction_at_fn>{{gen()}, reads}, n_events) |
           spate::with_watermarks(nexmark::date_time_fn{}, nexmark::watermark_4s{}) |
           spate::filter(nexmark::has_value_fn{}) | spate::map(nexmark::unwrap_fn<nexmark::auction>{});
  }
  auto persons() const {
    return spate::generate(counted<nexmark::person_at_fn>{{gen()}, reads}, n_events) |
           spate::with_watermarks(nexmark::date_time_fn{}, nexmark::watermark_4s{}) |
           spate::filter(nexmark::has_value_fn{}) | spate::map(nexmark::unwrap_fn<nexmark::person>{});
  }
};

// ---- rows as lines ----------------------------------------------------------

struct no_key {
  template <class R>
  std::string operator()(const R&) const {
    return {};
  }
};
struct full_text {
  template <class R>
  std::string operator()(const R& r) const {
    return nexmark::row_text(r);
  }
};
/// A row as "key \t weak \t text": key names the row's key (rolling
/// queries), weak what is compared where ties may rank either way (empty:
/// the text itself).
template <class Key, class Weak = no_key, class Text = full_text>
struct as_line {
  Key key{};
  Weak weak{};
  Text text{};
  template <class R>
  std::string operator()(const R& r) const {
    std::string s = key(r);
    s += '\t';
    s += weak(r);
    s += '\t';
    s += text(r);
    return s;
  }
};

struct line {
  std::string key, weak, text;
};
struct output {
  std::vector<line> lines;          ///< the visible parts' lines, part after part
  std::vector<std::string> hidden;  ///< parts in progress or pending
};

output read_output(const fs::path& dir) {
  output o;
  std::vector<std::string> visible;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    (name.starts_with('.') ? o.hidden : visible).push_back(name);
  }
  std::sort(visible.begin(), visible.end());  // part order: each worker's parts in the order it wrote them
  for (const auto& name : visible) {
    std::ifstream f(dir / name, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::istringstream in(ss.str());
    for (std::string l; std::getline(in, l);) {
      const auto a = l.find('\t');
      const auto b = a == std::string::npos ? a : l.find('\t', a + 1);
      REQUIRE(b != std::string::npos);
      o.lines.push_back({l.substr(0, a), l.substr(a + 1, b - a - 1), l.substr(b + 1)});
    }
  }
  return o;
}

// ---- comparisons ------------------------------------------------------------

enum class compare { rows, last_per_key, last_per_key_counted };

std::vector<std::string> sorted_texts(const std::vector<line>& ls) {
  std::vector<std::string> t;
  t.reserve(ls.size());
  for (const auto& l : ls) t.push_back(l.text);
  std::sort(t.begin(), t.end());
  return t;
}
std::map<std::string, std::string> last_per_key(const std::vector<line>& ls) {
  std::map<std::string, std::string> m;
  for (const auto& l : ls) m[l.key] = l.weak.empty() ? l.text : l.weak;
  return m;
}

/// Two sorted sequences are equal; else the first place where they differ.
template <class Seq>
void check_equal(const Seq& got, const Seq& want) {
  CHECK(got.size() == want.size());
  const auto diff = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  auto text = [](const auto& it, const auto& end) -> std::string {
    if (it == end) return "(end)";
    if constexpr (requires { it->second; })
      return it->first + " -> " + it->second;
    else
      return *it;
  };
  CHECK(text(diff.first, got.end()) == text(diff.second, want.end()));
}

void check_same(const output& got, const output& want, compare how) {
  if (how == compare::rows) {
    check_equal(sorted_texts(got.lines), sorted_texts(want.lines));
    return;
  }
  check_equal(last_per_key(got.lines), last_per_key(want.lines));
  if (how == compare::last_per_key_counted) CHECK(got.lines.size() == want.lines.size());
}

/// After the crash: the committed rows are some of the reference's (nothing
/// the uninterrupted run would not write, nothing twice).
void check_sub_multiset(const output& got, const output& want) {
  const auto g = sorted_texts(got.lines), w = sorted_texts(want.lines);
  CHECK(g.size() < w.size());
  CHECK(std::includes(w.begin(), w.end(), g.begin(), g.end()));
}

// ---- the runs ---------------------------------------------------------------

spate::checkpointing checkpoints_in(const fs::path& folder) {
  spate::checkpointing c;
  c.interval = 50ms;
  c.folder = folder;
  return c;
}
spate::rolling_options parts() {
  spate::rolling_options o;
  o.max_bytes = 1 << 20;
  return o;
}

/// The folders of one run: checkpoints and output.
struct place {
  fs::path chk, out;
  explicit place(const fs::path& root) : chk(root / "chk"), out(root / "out") { fs::create_directories(out); }
};

struct reference_run {
  output out;
  std::uint64_t reads = 0;  ///< the whole input, every source
};

/// The query uninterrupted, under checkpoints: the reference.
template <class Query>
reference_run run_uninterrupted(const Query& query, std::size_t p, const place& at) {
  std::atomic<std::uint64_t> reads{0};
  {
    spate::context ctx{spate::continuous{}, spate::parallelism{p}, checkpoints_in(at.chk)};
    ctx.add(query(sources{&reads}) | spate::rolling_text_files(at.out.string(), parts()));
    ctx.start();
    ctx.await_termination();
  }
  return {read_output(at.out), reads.load()};
}

/// The query at most `rate` records per second from each source shard,
/// stopped immediately (as a crash: no final checkpoint) once it has read
/// `stop_after` records and then completed a checkpoint. Returns the records
/// read.
template <class Query>
std::uint64_t run_and_crash(const Query& query, std::size_t p, const place& at, std::uint64_t rate,
                            std::uint64_t stop_after) {
  std::atomic<std::uint64_t> reads{0};
  spate::context ctx{spate::continuous{}, spate::parallelism{p}, spate::max_rate{rate}, checkpoints_in(at.chk)};
  ctx.add(query(sources{&reads}) | spate::rolling_text_files(at.out.string(), parts()));
  ctx.start();
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (reads.load() < stop_after && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  REQUIRE(reads.load() >= stop_after);
  const std::size_t before = ctx.checkpoints()->completed();
  REQUIRE(spate_test::await_checkpoints(ctx, before + 1, 120s));  // one more, after that point
  ctx.stop(spate::stop_mode::immediate);
  return reads.load();
}

struct restored_run {
  output out;
  std::uint64_t reads = 0;
  std::optional<spate::checkpoint_id> restored;
  bool finished_before = false;  ///< the checkpoint restored marks the job finished
};

/// The query started again with the crashed run's folders, to its end.
template <class Query>
restored_run run_restored(const Query& query, std::size_t p, const place& at) {
  std::atomic<std::uint64_t> reads{0};
  restored_run r;
  {
    spate::context ctx{spate::continuous{}, spate::parallelism{p}, checkpoints_in(at.chk)};
    ctx.add(query(sources{&reads}) | spate::rolling_text_files(at.out.string(), parts()));
    ctx.start();
    r.restored = ctx.checkpoints()->restored_id();
    r.finished_before = ctx.checkpoints()->finished_before();
    ctx.await_termination();
  }
  r.out = read_output(at.out);
  r.reads = reads.load();
  return r;
}

struct law {
  compare at_p1 = compare::rows, at_p2 = compare::rows;
  std::size_t min_rows = 1;  ///< the reference has at least these many rows
};

/// The restore law for one query at parallelism p.
template <class Query>
void check_restore_law(const Query& query, std::size_t p, law l) {
  CAPTURE(p);
  chk_test::temp_dir d("spate_nexmark_restore");
  const reference_run ref = run_uninterrupted(query, p, place(d.path() / "reference"));
  REQUIRE(ref.out.lines.size() >= l.min_rows);
  REQUIRE(ref.out.hidden.empty());
  const compare how = p == 1 ? l.at_p1 : l.at_p2;

  // The whole input would take about 2.4 s at the capped rate; the crash
  // comes after a checkpoint completed past half of it. On a machine so
  // busy that the input ended first (the restore then finds the job
  // finished), again at a third of the rate.
  // (The cap is per source shard, and connect reads both of its inputs as one
  // source: the rate is of all the records read, as ref.reads counts them.)
  std::uint64_t rate = ref.reads * 5 / 12 / p;
  for (int attempt = 0; attempt < 3; ++attempt, rate /= 3) {
    CAPTURE(attempt, rate);
    const place at(d.path() / ("attempt-" + std::to_string(attempt)));
    const std::uint64_t read_before_crash = run_and_crash(query, p, at, rate, ref.reads / 2);
    const output crashed = read_output(at.out);

    const restored_run r = run_restored(query, p, at);
    CAPTURE(read_before_crash, crashed.lines.size(), r.reads, ref.reads, r.out.lines.size(), ref.out.lines.size());
    REQUIRE(r.restored.has_value());  // the crashed run left a completed checkpoint
    if (r.finished_before) {
      WARN("the input ended before the crash (a busy machine): again at a lower rate");
      continue;
    }
    if (how == compare::rows) check_sub_multiset(crashed, ref.out);  // what the crash left visible
    // The restore started from the checkpoint: not from the start, not with
    // nothing left to read.
    CHECK(*r.restored >= 1);
    CHECK(r.reads > 0);
    CHECK(r.reads < ref.reads);
    CHECK(r.out.hidden.empty());
    check_same(r.out, ref.out, how);
    return;
  }
  FAIL("every attempt's input ended before the crash");
}

template <class Query>
void check_restore_law(const Query& query, law l) {
  for (std::size_t p : {1u, 2u}) check_restore_law(query, p, l);
}

// ---- keys and weak texts of the rolling queries -----------------------------

struct category_key {
  std::string operator()(const nexmark::q4_row& r) const { return std::to_string(r.category); }
};
struct seller_key {
  std::string operator()(const nexmark::q6_row& r) const { return std::to_string(r.seller); }
};
struct day_key {
  std::string operator()(const nexmark::q15_row& r) const { return r.day; }
};
struct channel_day_key {
  std::string operator()(const nexmark::q16_row& r) const { return r.channel + '|' + r.day; }
};
struct auction_day_key {
  std::string operator()(const nexmark::q17_row& r) const { return std::to_string(r.auction) + '|' + r.day; }
};
struct bidder_auction_key {
  std::string operator()(const nexmark::bid& b) const {
    return std::to_string(b.bidder) + '|' + std::to_string(b.auction);
  }
};
struct ranking_auction_key {
  std::string operator()(const nexmark::q19_ranking& r) const { return std::to_string(r.auction); }
};
/// A ranking's prices: of equal prices either bid may rank first when two
/// shards interleave (tests/nexmark/ops.cpp), so at P = 2 these are compared.
struct ranking_prices {
  std::string operator()(const nexmark::q19_ranking& r) const {
    std::string s;
    for (const auto& b : r.top) s += std::to_string(b.price) + ' ';
    return s;
  }
};
/// A ranking is up to ten bids with their extras: its hash stands for it.
struct ranking_hash {
  std::string operator()(const nexmark::q19_ranking& r) const { return std::to_string(nexmark::row_hash(r)); }
};

}  // namespace

// ---- the queries ------------------------------------------------------------

TEST_CASE("nexmark restore law q5: hot items (sliding windows, then a window per window)", "[nexmark][restore]") {
  check_restore_law([](const sources& s) { return nexmark::q5(s.bids()) | spate::map(as_line<no_key>{}); },
                    law{.min_rows = 15});
}

TEST_CASE("nexmark restore law q7: highest bid (tumbling windows of aggregates)", "[nexmark][restore]") {
  check_restore_law([](const sources& s) { return nexmark::q7(s.bids()) | spate::map(as_line<no_key>{}); },
                    law{.min_rows = 10});
}

TEST_CASE("nexmark restore law q8: new users (window co-group of two inputs)", "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q8(s.persons(), s.auctions()) | spate::map(as_line<no_key>{}); },
      law{.min_rows = 10});
}

TEST_CASE("nexmark restore law q11: bidder sessions (session windows)", "[nexmark][restore]") {
  check_restore_law([](const sources& s) { return nexmark::q11(s.bids()) | spate::map(as_line<no_key>{}); },
                    law{.min_rows = 20});
}

TEST_CASE("nexmark restore law q3: a regular join of auctions and people (co_process with keyed state)",
          "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q3(s.auctions(), s.persons()) | spate::map(as_line<no_key>{}); },
      law{.min_rows = 10});
}

TEST_CASE("nexmark restore law q20: a regular join of bids and auctions (co_process with keyed state)",
          "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q20(s.bids(), s.auctions()) | spate::map(as_line<no_key>{}); },
      law{.min_rows = 100});
}

TEST_CASE("nexmark restore law q9: winning bids (co_process with event-time timers)", "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q9(s.auctions(), s.bids()) | spate::map(as_line<no_key>{}); },
      law{.min_rows = 100});
}

// q4 and q6: auctions closing at one watermark reach the averages in no set
// order, so the updates depend on it; their number and last values do not.
TEST_CASE("nexmark restore law q4: average winning price per category (aggregate on q9)", "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) {
        return nexmark::q4(s.auctions(), s.bids()) | spate::map(as_line<category_key>{});
      },
      law{.at_p1 = compare::last_per_key_counted, .at_p2 = compare::last_per_key_counted, .min_rows = 100});
}

TEST_CASE("nexmark restore law q6: average of a seller's last ten winning prices (process on q9)",
          "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q6(s.auctions(), s.bids()) | spate::map(as_line<seller_key>{}); },
      law{.at_p1 = compare::last_per_key_counted, .at_p2 = compare::last_per_key_counted, .min_rows = 100});
}

// One update per bid: at P = 1 every update is compared, at P = 2 (where the
// updates depend on how the shards interleave) their number and last values.
constexpr law per_bid{.at_p1 = compare::rows, .at_p2 = compare::last_per_key_counted, .min_rows = 1'000};

TEST_CASE("nexmark restore law q15: distinct counts per day (aggregates)", "[nexmark][restore]") {
  check_restore_law([](const sources& s) { return nexmark::q15(s.bids()) | spate::map(as_line<day_key>{}); },
                    per_bid);
}

TEST_CASE("nexmark restore law q16: distinct counts per channel and day (aggregates)", "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q16(s.bids()) | spate::map(as_line<channel_day_key>{}); }, per_bid);
}

TEST_CASE("nexmark restore law q17: statistics per auction and day (aggregate)", "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q17(s.bids()) | spate::map(as_line<auction_day_key>{}); },
      per_bid);
}

TEST_CASE("nexmark restore law q18: the last bid per bidder and auction (keep_latest)", "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) { return nexmark::q18(s.bids()) | spate::map(as_line<bidder_auction_key>{}); },
      law{.at_p1 = compare::rows, .at_p2 = compare::last_per_key, .min_rows = 1'000});
}

TEST_CASE("nexmark restore law q19: the ten highest bids per auction (top_n)", "[nexmark][restore]") {
  check_restore_law(
      [](const sources& s) {
        return nexmark::q19(s.bids()) |
               spate::map(as_line<ranking_auction_key, ranking_prices, ranking_hash>{});
      },
      law{.at_p1 = compare::rows, .at_p2 = compare::last_per_key, .min_rows = 1'000});
}

// ---- another parallelism ----------------------------------------------------

TEST_CASE("nexmark restore at another parallelism: refused with a message, and the checkpoint still restores",
          "[nexmark][restore]") {
  // Keyed state moves between parallelisms (docs/checkpoints.md), but the
  // generator's shards cannot be cut anew: a P = 1 checkpoint of q5 does not
  // resume at P = 2, and says why, rather than resuming wrong.
  auto query = [](const sources& s) { return nexmark::q5(s.bids()) | spate::map(as_line<no_key>{}); };
  chk_test::temp_dir d("spate_nexmark_rescale");
  const reference_run ref = run_uninterrupted(query, 1, place(d.path() / "reference"));
  REQUIRE(!ref.out.lines.empty());
  const place at(d.path() / "crashed");
  run_and_crash(query, 1, at, 12'500, ref.reads / 2);
  {
    std::atomic<std::uint64_t> reads{0};
    spate::context ctx{spate::continuous{}, spate::parallelism{2}, checkpoints_in(at.chk)};
    ctx.add(query(sources{&reads}) | spate::rolling_text_files(at.out.string(), parts()));
    ctx.start();
    // The first stage to refuse says so: the watermark generator's state, or
    // the generator's shards.
    CHECK_THROWS_WITH(ctx.await_termination(), Catch::Matchers::Contains("cannot move to 2 subtasks") ||
                                                   Catch::Matchers::Contains("cannot resume as 2"));
  }
  // Back at P = 1 the same folders restore, and the output is exact.
  const restored_run r = run_restored(query, 1, at);
  REQUIRE(r.restored.has_value());
  if (r.finished_before) {
    WARN("the input ended before the crash (a busy machine): nothing left to check");
    return;
  }
  CHECK(r.reads < ref.reads);
  CHECK(r.out.hidden.empty());
  check_same(r.out, ref.out, compare::rows);
}
