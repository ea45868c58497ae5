// Key groups: every key has one group, every group one worker, and the
// ranges of the workers cover the groups exactly once, at any parallelism.
#include <spate/core/key_group.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

TEST_CASE("key groups: the ranges of P workers partition the groups, and worker_of agrees with them") {
  for (std::size_t maxp : {1u, 7u, 128u, 1000u}) {
    spate::key_groups kg{maxp};
    for (std::size_t P = 1; P <= std::min<std::size_t>(maxp, 40); ++P) {
      INFO("max " << maxp << " P " << P);
      std::size_t next = 0;
      for (std::size_t w = 0; w < P; ++w) {
        auto r = kg.range_of(w, P);
        CHECK(r.first == next);
        CHECK(r.size() >= 1);
        for (std::size_t g = r.first; g < r.last; ++g) CHECK(kg.worker_of_group(g, P) == w);
        next = r.last;
      }
      CHECK(next == maxp);
    }
  }
}

TEST_CASE("key groups: a key's group is the same in every run (fixed values) and spreads keys evenly") {
  spate::key_groups kg;
  // Fixed expectations: a change of the hash would strand every snapshot.
  CHECK(spate::stable_key_hash(std::string("spate")) == spate::stable_key_hash(std::string_view("spate")));
  CHECK(spate::stable_key_hash(std::int64_t{42}) == spate::stable_key_hash(std::uint64_t{42}));
  CHECK(spate::stable_key_hash(std::string("spate")) == 15528829134791492962ull);
  CHECK(kg.group_of(std::string("spate")) == 98);
  CHECK(kg.group_of(42) == 76);
  CHECK(kg.group_of(std::string("")) == 38);
  std::vector<std::size_t> per_worker(4, 0);
  for (int i = 0; i < 40000; ++i) ++per_worker[kg.worker_of("user-" + std::to_string(i), 4)];
  for (auto n : per_worker) CHECK((n > 9000 && n < 11000));
}

TEST_CASE("key groups: more workers than groups is an error that says so") {
  spate::key_groups kg{4};
  CHECK_NOTHROW(kg.check(4));
  CHECK_THROWS_WITH(kg.check(5), "spate: parallelism 5 exceeds the maximum parallelism 4 (the number of key groups)");
}
