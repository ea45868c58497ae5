// The checkpoint components around a real built chain: its state
// (state/chain_snapshot.hpp, one string per stateful stage) goes through the
// coordinator into a local folder, a "crash" drops the chain, and a chain
// built anew restored from the newest checkpoint continues exactly where the
// first one stood — the restore law, through disk.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <spate/checkpoint/coordinator.hpp>
#include <spate/checkpoint/local_storage.hpp>
#include <spate/fuse/build.hpp>
#include <spate/spate.hpp>
#include <spate/state/chain_snapshot.hpp>

#include "support.hpp"

namespace chk = spate::checkpoint;
using namespace std::chrono_literals;
using Out = std::vector<std::pair<std::string, std::int64_t>>;

namespace {
auto make(Out& out) {
  return spate::from_elements(std::string{}) | spate::key_by([](std::string_view w) { return w; }) | spate::count() |
         spate::take(100000) | spate::collect_into(out);
}

// The executor's part, by hand: one participant, one file per stateful stage.
chk::acknowledgement snapshot_of(const auto& chain, std::int64_t position) {
  chk::acknowledgement a;
  auto snap = spate::snapshot_chain(chain);
  for (std::size_t i = 0; i < snap.states.size(); ++i)
    a.files.push_back({"stage-" + std::to_string(i), 0, {0, spate::default_max_parallelism}, std::move(snap.states[i])});
  a.sources = {{"words", "words-0", position}};
  return a;
}
}  // namespace

TEST_CASE("chain state through the coordinator and a local folder restores exactly") {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> word(0, 30);
  std::vector<std::string> words;
  for (int i = 0; i < 3000; ++i) words.push_back("w" + std::to_string(word(rng)));

  spate::rolling_env env;
  Out whole;
  {
    auto c = spate::fuse::build(env, make(whole));
    for (const auto& w : words) c.push(std::string(w));
    c.on_end();
  }

  chk_test::temp_dir d;
  chk::checkpoint_options o;
  o.interval = 1s;
  o.retained = 2;
  const std::size_t crash_at = 2222;
  Out resumed;
  {
    chk::local_storage disk(d.path());
    chk::checkpoint_store store(disk, o.retained);
    auto c = spate::fuse::build(env, make(resumed));
    const std::size_t stages = spate::stateful_stages(c);
    REQUIRE(stages >= 2);  // count and take
    std::vector<std::string> uids;
    for (std::size_t i = 0; i < stages; ++i) uids.push_back("stage-" + std::to_string(i));
    chk::coordinator coord(o, {"chain"}, {1, spate::default_max_parallelism, uids}, chk::coordinator::time_point{});
    auto clock = chk::coordinator::time_point{};
    auto now = [&] { return clock; };
    std::vector<spate::checkpoint_id> completed;
    coord.add_listener({.on_complete = [&](spate::checkpoint_id n) { completed.push_back(n); }, .on_abort = {},
                        .on_job_failure = {}});
    for (std::size_t i = 0; i < crash_at; ++i) {
      if (i % 100 == 0) {
        clock += 1s;
        if (auto n = coord.poll(now())) {  // the barrier sits between record i-1 and record i
          REQUIRE(coord.acknowledge(*n, "chain", snapshot_of(c, static_cast<std::int64_t>(i)), now()) ==
                  chk::ack_status::ready);
          REQUIRE(chk::persist_checkpoint(coord, store, *n, now));
        }
      }
      c.push(std::string(words[i]));
    }
    CHECK(completed.size() == 23);  // at records 0, 100, ..., 2200
    CHECK(store.ids() == std::vector<spate::checkpoint_id>{22, 23});
  }  // the crash: the chain is gone, records after the last checkpoint were output but not checkpointed

  {
    chk::local_storage disk(d.path());
    chk::checkpoint_store store(disk, o.retained);
    auto r = store.latest();
    REQUIRE(r.checkpoint);
    CHECK(r.warnings.empty());
    const auto& m = r.checkpoint->meta;
    REQUIRE(m.sources.size() == 1);
    const auto from = static_cast<std::size_t>(m.sources[0].offset);
    CHECK(from == 2200);
    // Output after the checkpoint is replayed: at-least-once output without a
    // transactional sink. Keep what was emitted up to the checkpoint.
    std::size_t emitted_by_checkpoint = from;  // count emits once per record
    resumed.resize(emitted_by_checkpoint);

    auto b = spate::fuse::build(env, make(resumed));
    spate::chain_snapshot snap;
    for (const auto& uid : m.stage_uids) snap.states.emplace_back(*r.checkpoint->state_of(uid, 0));
    REQUIRE(spate::restore_chain(b, snap));
    for (std::size_t i = from; i < words.size(); ++i) b.push(std::string(words[i]));
    b.on_end();
  }
  CHECK(resumed == whole);
}
