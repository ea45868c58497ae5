// The flat hash map that keyed state lives in, checked against
// std::unordered_map on random operation sequences.
#include <spate/state/hash_map.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>

using spate::state::hash_map;

TEST_CASE("hash_map behaves like std::unordered_map under random inserts, finds and erases", "[hash_map]") {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    hash_map<std::int64_t, std::int64_t> m;
    std::unordered_map<std::int64_t, std::int64_t> ref;
    const std::int64_t key_range = 1 + static_cast<std::int64_t>(rng() % 2000);
    for (int op = 0; op < 20000; ++op) {
      std::int64_t k = static_cast<std::int64_t>(rng() % static_cast<std::uint32_t>(key_range)) - key_range / 2;
      switch (rng() % 4) {
        case 0:
        case 1: {
          m[k] += op;
          ref[k] += op;
          break;
        }
        case 2: {
          REQUIRE(m.erase(k) == (ref.erase(k) == 1));
          break;
        }
        default: {
          auto* p = m.find(k);
          auto it = ref.find(k);
          REQUIRE((p != nullptr) == (it != ref.end()));
          if (p) REQUIRE(p->second == it->second);
        }
      }
      REQUIRE(m.size() == ref.size());
    }
    std::size_t visited = 0;
    m.for_each([&](std::int64_t k, std::int64_t v) {
      ++visited;
      REQUIRE(ref.at(k) == v);
    });
    REQUIRE(visited == ref.size());
  }
}

TEST_CASE("hash_map looks strings up by string_view without owning the view", "[hash_map]") {
  hash_map<std::string, int> m;
  std::string text = "alpha beta alpha";
  m[std::string_view(text).substr(0, 5)] += 1;
  m[std::string_view(text).substr(6, 4)] += 1;
  m[std::string_view(text).substr(11, 5)] += 1;
  text.assign(text.size(), 'x');  // the keys were copied, not viewed
  REQUIRE(m.size() == 2);
  REQUIRE(m.find(std::string_view("alpha"))->second == 2);
  REQUIRE(m.find(std::string("beta"))->second == 1);
  REQUIRE(m.find("gamma") == nullptr);
}

TEST_CASE("marks follow their entries through growth and erasure, and drain once", "[hash_map]") {
  hash_map<int, int> m;
  for (int i = 0; i < 10; ++i) m.mark(m.try_emplace(i).first);
  for (int i = 10; i < 5000; ++i) m[i] = i;  // grows many times
  REQUIRE(m.marked() == 10);
  m.erase(3);
  REQUIRE(m.marked() == 9);
  std::vector<int> drained;
  m.drain_marked([&](const auto& kv) { drained.push_back(kv.first); });
  std::sort(drained.begin(), drained.end());
  REQUIRE(drained == std::vector<int>{0, 1, 2, 4, 5, 6, 7, 8, 9});
  REQUIRE(m.marked() == 0);
  int again = 0;
  m.drain_marked([&](const auto&) { ++again; });
  REQUIRE(again == 0);
  REQUIRE(m.mark(m.find(7)));
  REQUIRE_FALSE(m.mark(m.find(7)));
}

TEST_CASE("erase_if and copies keep every remaining entry reachable", "[hash_map]") {
  hash_map<int, std::string> m;
  for (int i = 0; i < 1000; ++i) m[i] = std::to_string(i);
  REQUIRE(m.erase_if([](int k, const std::string&) { return k % 3 == 0; }) == 334);
  hash_map<int, std::string> c = m;
  for (int i = 0; i < 1000; ++i) {
    REQUIRE((c.find(i) != nullptr) == (i % 3 != 0));
    if (i % 3) REQUIRE(c.find(i)->second == std::to_string(i));
  }
  REQUIRE(c.memory_bytes() >= c.size() * sizeof(std::pair<int, std::string>));
}

TEST_CASE("a copy is the same table: every entry and every mark, for trivial and non-trivial entries", "[hash_map]") {
  auto check = [](auto& m, auto value_of) {
    std::mt19937 rng(17);
    for (int i = 0; i < 5000; ++i) {
      const int k = static_cast<int>(rng() % 3000);
      auto [slot, fresh] = m.try_emplace_with(k, [&] { return value_of(i); });
      if (!fresh) slot->second = value_of(i);
      if (i % 3 == 0) m.mark(slot);
      if (i % 11 == 0) m.erase(static_cast<int>(rng() % 3000));
    }
    auto c = m;
    REQUIRE(c.size() == m.size());
    REQUIRE(c.marked() == m.marked());
    using V = std::remove_cvref_t<decltype(value_of(0))>;
    std::unordered_map<int, std::pair<V, bool>> a, b;
    m.for_each_with_mark([&](int k, const V& v, bool mk) { a.emplace(k, std::pair(v, mk)); });
    c.for_each_with_mark([&](int k, const V& v, bool mk) { b.emplace(k, std::pair(v, mk)); });
    REQUIRE(a == b);
    // The copy is independent of the original.
    m.clear();
    REQUIRE(c.size() == b.size());
    std::size_t drained = 0;
    c.drain_marked([&](const auto&) { ++drained; });
    REQUIRE(drained == static_cast<std::size_t>(std::count_if(b.begin(), b.end(), [](const auto& e) { return e.second.second; })));
  };
  hash_map<int, std::int64_t> trivial;
  check(trivial, [](int i) { return static_cast<std::int64_t>(i) * 3; });
  hash_map<int, std::string> strings;
  check(strings, [](int i) { return "value " + std::to_string(i); });
}
