// explain: the plan as text, DOT and JSON; the JSON parsed and its structure
// checked against the plan the context runs.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <spate/spate.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;

auto word_count(std::vector<std::pair<std::string, std::int64_t>>& out, const std::vector<std::string>& lines) {
  return spate::from_collection(lines) | spate::flat_map([](const std::string& l) { return spate::words(l); }) |
         spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count() | spate::collect_into(out);
}

}  // namespace

TEST_CASE("explain: one thread is one fused loop") {
  std::vector<std::string> lines{"a b", "b c"};
  std::vector<std::pair<std::string, std::int64_t>> out;
  const auto job = word_count(out, lines);
  const std::string text = spate::explain(job);
  CHECK(text.find("segment 1 x1: range source | flat_map #1 | key_by #2 | fold #3 | collect_into") != std::string::npos);
  CHECK(text.find("keeps state: fold #3 (uid j0.3:fold)") != std::string::npos);
  CHECK(text.find("fusion ends: no boundary: source to sink is one fused loop") != std::string::npos);

  const auto j = json::parse(spate::explain(job, spate::explain_format::json));
  REQUIRE(j["jobs"].size() == 1);
  const auto& p = j["jobs"][0];
  CHECK(p["threads"] == 1);
  CHECK(p["mode"] == "continuous");
  CHECK(p["source"]["name"] == "range source");
  CHECK(p["sink"]["name"] == "collect_into");
  REQUIRE(p["stages"].size() == 3);
  CHECK(p["stages"][0]["name"] == "flat_map");
  CHECK(p["stages"][0]["keeps_state"] == false);
  CHECK(p["stages"][1]["name"] == "key_by");
  CHECK(p["stages"][2]["name"] == "fold");
  CHECK(p["stages"][2]["keeps_state"] == true);
  CHECK(p["stages"][2]["uid"] == "j0.3:fold");
  REQUIRE(p["segments"].size() == 1);
  CHECK(p["segments"][0]["input"] == "source");
  CHECK(p["segments"][0]["output"] == "sink");
  CHECK(p["boundaries"].empty());
}

TEST_CASE("explain: a shuffle at each key_by, the state behind it, the sink thread") {
  std::vector<std::string> lines{"a b", "b c"};
  std::ostringstream os;
  // [doc:explain]
  const auto job = spate::from_collection(lines) |
                   spate::flat_map([](const std::string& l) { return spate::words(l); }) |
                   spate::key_by([](std::string_view w) { return std::string(w); }) | spate::count() |
                   spate::print(os);
  const std::string text = spate::explain(job, spate::explain_format::text, spate::parallelism{3});
  const std::string dot = spate::explain(job, spate::explain_format::dot, spate::parallelism{3});    // Graphviz
  const std::string json = spate::explain(job, spate::explain_format::json, spate::parallelism{3});  // for tools
  // [end]
  CHECK(dot.find("digraph") == 0);
  CHECK(text.find("key_by #2 => shuffle") != std::string::npos);
  CHECK(text.find("fusion ends: key_by #2 repartitions by key") != std::string::npos);
  CHECK(text.find("fusion ends: print runs once, on a thread of its own") != std::string::npos);

  const auto j = json::parse(json);
  const auto& p = j["jobs"][0];
  CHECK(p["threads"] == 3 + 3 + 1);
  const auto& segs = p["segments"];
  REQUIRE(segs.size() == 3);
  CHECK(segs[0]["parallelism"] == 3);
  CHECK(segs[0]["output"] == "shuffle");
  CHECK(segs[0]["output_name"] == "key_by");
  CHECK(segs[0]["keeps_state"].empty());
  CHECK(segs[1]["input"] == "shuffle");
  CHECK(segs[1]["output"] == "sink_boundary");
  CHECK(segs[1]["keeps_state"] == json::array({3}));
  CHECK(segs[2]["parallelism"] == 1);
  CHECK(segs[2]["input"] == "sink_boundary");
  // Each stage names the segment that runs it (key_by routes before its shuffle).
  CHECK(p["stages"][0]["segment"] == 1);
  CHECK(p["stages"][1]["segment"] == 1);
  CHECK(p["stages"][2]["segment"] == 2);
  const auto& b = p["boundaries"];
  REQUIRE(b.size() == 2);
  CHECK(b[0]["kind"] == "shuffle");
  CHECK(b[0]["key_by"] == 2);
  CHECK(b[0]["queues"] == 9);
  CHECK(b[1]["kind"] == "sink_boundary");
  CHECK(b[1]["queues"] == 3);
  for (const auto& s : segs) CHECK_FALSE(s["fusion_ends"].get<std::string>().empty());
}

TEST_CASE("explain: combined aggregations under micro-batch, ctx.explain in every format") {
  using namespace std::chrono_literals;
  std::vector<std::string> words{"x", "y", "x"};
  std::vector<std::pair<std::string, std::int64_t>> counts;
  spate::context ctx{spate::micro_batch{1s}, spate::parallelism{2}};
  ctx.add(spate::from_collection(words) | spate::count_by_value() | spate::collect_into(counts));
  const auto j = json::parse(ctx.explain(spate::explain_format::json));
  const auto& p = j["jobs"][0];
  CHECK(p["mode"] == "micro_batch");
  REQUIRE(p["segments"].size() == 2);
  CHECK(p["segments"][0]["combined"] == true);
  CHECK(p["segments"][1]["merges_partials"] == true);
  CHECK(ctx.explain().find("combined per key and batch") != std::string::npos);
  const std::string dot = ctx.explain(spate::explain_format::dot);
  CHECK(dot.rfind("digraph spate {", 0) == 0);
  CHECK(dot.find("cluster_j0_seg1") != std::string::npos);
  CHECK(dot.find("cluster_j0_seg2") != std::string::npos);
  CHECK(dot.find("style=dashed, label=\"shuffle by key group\"") != std::string::npos);
  CHECK(dot.find("count_by_value #2 (merges partials)") != std::string::npos);
}

TEST_CASE("explain: several jobs of one context, pinned uids") {
  std::vector<int> xs{1, 2, 3};
  long a = 0;
  std::vector<std::pair<int, int>> b;
  spate::context ctx{spate::parallelism{2}};
  ctx.add(spate::from_collection(xs) | spate::map([](int x) { return x * 2; }) | spate::sum_into(a));
  ctx.add(spate::from_collection(xs) | spate::key_by([](int x) { return x % 2; }) | spate::reduce([](int x, int y) { return x + y; }) |
          spate::uid("sum-by-parity") | spate::collect_into(b));
  const auto j = json::parse(ctx.explain(spate::explain_format::json));
  REQUIRE(j["jobs"].size() == 2);
  CHECK(j["jobs"][0]["job"] == 0);
  CHECK(j["jobs"][1]["job"] == 1);
  CHECK(j["jobs"][0]["segments"].size() == 1);
  CHECK(j["jobs"][1]["stages"][1]["uid"] == "sum-by-parity");
  CHECK(j["jobs"][1]["stages"][1]["keeps_state"] == true);
}
