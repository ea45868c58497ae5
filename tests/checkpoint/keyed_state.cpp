#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include <spate/checkpoint/keyed_state_file.hpp>
#include <spate/checkpoint/store.hpp>

namespace chk = spate::checkpoint;
using Catch::Matchers::Contains;

namespace {
std::string random_key(std::mt19937& rng) {
  std::uniform_int_distribution<int> len(0, 12), ch('a', 'z');
  std::string k(static_cast<std::size_t>(len(rng)), ' ');
  for (auto& c : k) c = static_cast<char>(ch(rng));
  return k;
}

// Writes `all` as P workers would (each its own key groups), then restores
// at P2 and checks every new worker gets exactly the keys it owns.
template <class K, class V>
void rescale(const std::map<K, V>& all, std::size_t P, std::size_t P2, spate::key_groups kg) {
  std::vector<std::string> files;
  for (std::size_t w = 0; w < P; ++w) {
    chk::keyed_state_writer<K, V> out(kg, kg.range_of(w, P));
    for (const auto& [k, v] : all)
      if (kg.worker_of(k, P) == w) out.add(k, v);
    files.push_back(out.finish());
  }
  std::vector<std::string_view> views(files.begin(), files.end());
  std::map<K, V> seen;
  for (std::size_t w = 0; w < P2; ++w) {
    std::map<K, V> mine;
    auto n = chk::read_key_groups<K, V>(views, kg, kg.range_of(w, P2), [&](K&& k, V&& v) { mine.emplace(k, v); });
    REQUIRE(n.ok());
    CHECK(*n == mine.size());
    for (const auto& [k, v] : mine) {
      REQUIRE(kg.worker_of(k, P2) == w);
      REQUIRE(seen.emplace(k, v).second);  // no key reaches two workers
    }
  }
  CHECK(seen == all);  // nor is any lost
}
}  // namespace

TEST_CASE("keyed state: written at P=2, read at P=1 and P=3, random string keys") {
  for (unsigned seed : {1u, 2u, 3u, 4u, 5u}) {
    std::mt19937 rng(seed);
    std::map<std::string, long> all;
    for (int i = 0; i < 2000; ++i) all[random_key(rng)] = static_cast<long>(rng());
    INFO("seed " << seed);
    rescale(all, 2, 1, spate::key_groups{});
    rescale(all, 2, 3, spate::key_groups{});
    rescale(all, 3, 2, spate::key_groups{});
    rescale(all, 2, 7, spate::key_groups{16});  // a small max parallelism: groups of several keys
  }
}

TEST_CASE("keyed state: integer keys, vector values, every parallelism up to the maximum") {
  std::mt19937 rng(99);
  std::map<std::int64_t, std::vector<std::string>> all;
  for (int i = 0; i < 500; ++i) all[static_cast<std::int64_t>(rng())] = {random_key(rng), random_key(rng)};
  spate::key_groups kg{12};
  for (std::size_t P = 1; P <= 12; ++P)
    for (std::size_t P2 : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{12}}) rescale(all, P, P2, kg);
}

TEST_CASE("keyed state: through a checkpoint, P=2 -> 3") {
  std::mt19937 rng(7);
  std::map<std::string, long> all;
  for (int i = 0; i < 1000; ++i) all[random_key(rng)] = i;
  // [doc:rescale]
  spate::key_groups kg;  // 128 key groups
  chk::memory_storage s;
  chk::checkpoint_store store(s);

  chk::checkpoint_content c;  // written by 2 workers, each its range of key groups
  c.id = 1;
  c.parallelism = 2;
  for (std::size_t w = 0; w < 2; ++w) {
    std::map<std::string, long> owned;
    for (const auto& [k, v] : all)
      if (kg.worker_of(k, 2) == w) owned.emplace(k, v);
    c.files.push_back({"counts", w, kg.range_of(w, 2), chk::encode_keyed_state<std::string, long>(kg, kg.range_of(w, 2), owned)});
  }
  store.write(c);

  auto restored = store.latest().checkpoint;  // restored by 3 workers
  std::vector<std::map<std::string, long>> workers(3);
  for (std::size_t w = 0; w < 3; ++w) {
    auto range = kg.range_of(w, 3);
    auto n = chk::read_key_groups<std::string, long>(restored->states_of("counts", range), kg, range,
                                                     [&](std::string&& k, long&& v) { workers[w].emplace(k, v); });
    if (!n) throw std::runtime_error(n.error().message());
  }
  // [end]
  std::map<std::string, long> seen;
  for (std::size_t w = 0; w < 3; ++w)
    for (auto& [k, v] : workers[w]) {
      CHECK(kg.worker_of(k, 3) == w);
      seen.emplace(k, v);
    }
  CHECK(seen == all);
}

TEST_CASE("keyed state: bad payloads and mismatched files are errors") {
  spate::key_groups kg{8};
  std::map<int, int> m{{1, 10}, {2, 20}, {3, 30}, {40, 400}};
  auto whole = chk::encode_keyed_state<int, int>(kg, {0, 8}, m);
  auto ignore = [](int&&, int&&) {};
  auto err = [&](std::vector<std::string_view> payloads, spate::key_groups k, spate::key_group_range r) {
    auto n = chk::read_key_groups<int, int>(payloads, k, r, ignore);
    REQUIRE_FALSE(n.ok());
    return n.error().message();
  };
  REQUIRE(chk::read_key_groups<int, int>({whole}, kg, {0, 8}, ignore).value() == 4);

  CHECK_THAT(err({whole}, spate::key_groups{16}, {0, 16}),
             Contains("max parallelism 8 cannot be read with max parallelism 16"));
  CHECK_THAT(err({whole, whole}, kg, {0, 4}), Contains("key group 0 is in two payloads"));
  auto half = chk::encode_keyed_state<int, int>(kg, {0, 4},
                                                std::map<int, int>{});  // groups 0-3 only
  CHECK_THAT(err({half}, kg, {0, 8}), Contains("key group 4 is in none of the payloads"));
  CHECK_THAT(err({whole.substr(0, whole.size() - 2)}, kg, {0, 8}), Contains("truncated or corrupt"));
  CHECK_THAT(err({"SPKG"}, kg, {0, 8}), Contains("truncated"));
  CHECK_THAT(err({"nope"}, kg, {0, 8}), Contains("not keyed state"));
  auto v2 = whole;
  v2[4] = 2;
  CHECK_THAT(err({v2}, kg, {0, 8}), Contains("unsupported keyed state version 2"));

  // A key stored in a group it does not hash to (another hash, another job).
  std::string forged;
  spate::serde::writer w(forged);
  w.write_bytes("SPKG");
  w.write_u8(1);
  w.write_varint(8);
  w.write_varint(0);
  w.write_varint(1);  // one group: 0
  std::string block;
  spate::serde::writer bw(block);
  int k = 1;
  while (kg.group_of(k) == 0) ++k;
  bw.write_varint(1);
  bw.write(k, 5);
  w.write_varint(block.size());
  w.write_bytes(block);
  CHECK_THAT(err({forged}, kg, {0, 1}), Contains("stored in group 0") && Contains("the key hash changed"));

  chk::keyed_state_writer<int, int> out(kg, {0, 2});
  int outside = 0;
  while (kg.group_of(outside) < 2) ++outside;
  CHECK_THROWS_WITH(out.add(outside, 1), Contains("written into the range [0, 2)"));
  CHECK_THROWS_AS((chk::keyed_state_writer<int, int>(kg, {0, 9})), std::invalid_argument);
}
