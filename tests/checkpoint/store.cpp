#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <spate/checkpoint/local_storage.hpp>
#include <spate/checkpoint/store.hpp>

#include "support.hpp"

namespace chk = spate::checkpoint;
using Catch::Matchers::Contains;

namespace {
chk::checkpoint_content sample(spate::checkpoint_id n, std::string tag = "") {
  chk::checkpoint_content c;
  c.id = n;
  c.parallelism = 2;
  c.max_parallelism = 128;
  c.stage_uids = {"counts", "source"};
  c.files = {{"counts", 0, {0, 64}, "state of subtask 0" + tag},
             {"counts", 1, {64, 128}, "state of subtask 1" + tag},
             {"source", 0, {0, 0}, ""}};
  c.sources = {{"source", "lines-0", 1200 + static_cast<std::int64_t>(n)}, {"source", "lines-1", 77}};
  return c;
}
std::string file_named(const chk::memory_storage& s, std::string_view folder, std::string_view part) {
  for (auto& [name, bytes] : const_cast<chk::memory_storage&>(s).blobs())
    if (name.starts_with(std::string(folder) + "/") && name.find(part) != std::string::npos) return name;
  FAIL("no file " << part);
  return {};
}
void restore_counts(const std::vector<std::string_view>&) {}
void seek_sources(const std::vector<chk::source_position>&) {}
}  // namespace

TEST_CASE("format: the frame's bytes") {
  auto f = chk::frame(chk::file_kind::state, "ab");
  REQUIRE(f.size() == 2 + chk::frame_overhead);
  CHECK(f.substr(0, 4) == "SPCK");
  CHECK(f.substr(4, 4) == std::string("\x01\x00\x01\x00", 4));  // version 1, kind state, reserved
  CHECK(f.substr(8, 8) == std::string("\x02\0\0\0\0\0\0\0", 8));  // payload length
  CHECK(f.substr(16, 2) == "ab");
  CHECK(*chk::unframe(f, chk::file_kind::state) == "ab");
}

TEST_CASE("format: bad frames are named precisely") {
  auto f = chk::frame(chk::file_kind::state, "some state bytes");
  auto msg = [](std::string_view bytes, chk::file_kind k = chk::file_kind::state) {
    auto r = chk::unframe(bytes, k);
    REQUIRE_FALSE(r.ok());
    return r.error().message();
  };
  CHECK_THAT(msg(f.substr(0, 10)), Contains("truncated: 10 bytes"));
  CHECK_THAT(msg(f.substr(0, f.size() - 1)), Contains("truncated or extended"));
  CHECK_THAT(msg(f + "x"), Contains("truncated or extended"));
  auto flipped = f;
  flipped[20] ^= 0x10;
  CHECK_THAT(msg(flipped), Contains("checksum mismatch") && Contains("corrupt"));
  auto magic = f;
  magic[0] = 'X';
  CHECK_THAT(msg(magic), Contains("not a spate checkpoint file"));
  auto version = f;
  version[4] = 9;
  CHECK_THAT(msg(version), Contains("unsupported checkpoint format version 9") && Contains("reads version 1"));
  CHECK_THAT(msg(f, chk::file_kind::manifest), Contains("expected a manifest"));
}

TEST_CASE("format: a manifest round-trips") {
  chk::manifest m;
  m.id = 42;
  m.kind = chk::checkpoint_kind::savepoint;
  m.created_ms = 1764633600000;
  m.parallelism = 3;
  m.max_parallelism = 256;
  m.stage_uids = {"a", "b"};
  m.files = {{"0-a-s0-kg0-86.state", "a", 0, {0, 86}, 123, 0xdeadbeef}};
  m.sources = {{"kafka-in", "orders-3", -1}, {"kafka-in", "orders-4", 1ll << 40}};
  auto back = chk::decode_manifest(chk::encode_manifest(m));
  REQUIRE(back.ok());
  CHECK(*back == m);
}

TEST_CASE("store: a checkpoint is its state files, then the manifest, read back whole") {
  chk_test::recording_storage s;
  chk::checkpoint_store store(s);
  auto m = store.write(sample(1));
  REQUIRE(s.writes.size() == 4);
  CHECK(s.writes.back() == "chk-1/MANIFEST");  // written last
  CHECK(s.writes[0] == "chk-1/0-counts-s0-kg0-64.state");
  CHECK(m.id == 1);
  CHECK(m.parallelism == 2);
  CHECK(m.max_parallelism == 128);
  CHECK(m.stage_uids == std::vector<std::string>{"counts", "source"});
  REQUIRE(m.files.size() == 3);
  CHECK(m.files[1].groups == spate::key_group_range{64, 128});
  CHECK(m.files[1].size == s.read("chk-1/" + m.files[1].name)->size());
  CHECK(m.files[1].crc == chk::frame_checksum(*s.read("chk-1/" + m.files[1].name)));
  CHECK(m.files[0].crc != m.files[1].crc);

  auto c = store.load(1);
  REQUIRE(c.ok());
  CHECK(c->meta == m);
  CHECK(c->payloads == std::vector<std::string>{"state of subtask 0", "state of subtask 1", ""});
  CHECK(c->meta.sources == sample(1).sources);
  CHECK(c->states_of("counts", {0, 128}).size() == 2);
  CHECK(c->states_of("counts", {60, 70}).size() == 2);
  CHECK(c->states_of("counts", {64, 100}) == std::vector<std::string_view>{"state of subtask 1"});
  CHECK(c->state_of("counts", 1) == std::string_view("state of subtask 1"));
  CHECK_FALSE(c->state_of("counts", 2).has_value());
}

TEST_CASE("format: a manifest described for people") {
  chk::memory_storage s;
  chk::checkpoint_store store(s);
  auto m = store.write(sample(7));
  m.created_ms = 1764633600000;  // 2025-12-02T00:00:00Z
  const auto text = chk::describe(m);
  CHECK_THAT(text, Contains("checkpoint 7 (parallelism 2, 128 key groups), written 2025-12-02T00:00:00Z\n"));
  CHECK_THAT(text, Contains("stages: counts source\n"));
  CHECK_THAT(text, Contains("  1-counts-s1-kg64-128.state  stage counts  subtask 1  key groups [64, 128)  38 bytes  crc32c "));
  CHECK_THAT(text, Contains("sources:\n  source  lines-0  1207\n  source  lines-1  77\n"));
}

TEST_CASE("store: stage uids may be anything, file names stay safe") {
  chk::memory_storage s;
  chk::checkpoint_store store(s);
  chk::checkpoint_content c;
  c.id = 1;
  c.files = {{"../window/counts per key", 0, {0, 128}, "x"}};
  auto m = store.write(c);
  CHECK(m.files[0].name == "0-_.._window_counts_per_key-s0-kg0-128.state");  // no hidden or parent names
  CHECK(m.stage_uids == std::vector<std::string>{"../window/counts per key"});
  CHECK(store.load(1)->payloads[0] == "x");
}

TEST_CASE("store: content that does not fit the job is refused before anything is written") {
  chk::memory_storage s;
  chk::checkpoint_store store(s);
  auto c = sample(1);
  c.files[0].subtask = 2;
  CHECK_THROWS_WITH(store.write(c), Contains("subtask 2 of parallelism 2"));
  c = sample(1);
  c.files[0].groups = {0, 129};
  CHECK_THROWS_WITH(store.write(c), Contains("outside [0, 128)"));
  c = sample(1);
  c.files[0].stage_uid = "other";
  CHECK_THROWS_WITH(store.write(c), Contains("'other', which is not among the job's stage uids"));
  c = sample(1);
  c.parallelism = 200;
  CHECK_THROWS_WITH(store.write(c), Contains("exceeds the maximum parallelism"));
  CHECK(s.list().empty());
}

TEST_CASE("store: every kind of damage is found, with a message naming the folder and file") {
  chk::memory_storage s;
  chk::checkpoint_store store(s);
  store.write(sample(1));
  auto& blobs = s.blobs();
  const auto state = file_named(s, "chk-1", "counts-s1");
  const auto good_state = blobs[state];
  const auto good_manifest = blobs["chk-1/MANIFEST"];
  auto error_of = [&] {
    auto c = store.load(1);
    REQUIRE_FALSE(c.ok());
    return c.error().message();
  };
  const std::string where = "'chk-1' in memory storage";

  SECTION("a truncated state file") {
    blobs[state].resize(good_state.size() - 3);
    CHECK_THAT(error_of(), Contains(where) && Contains(state.substr(6)) && Contains("truncated or replaced"));
  }
  SECTION("a flipped byte in a state file") {
    blobs[state][18] ^= 0x01;
    CHECK_THAT(error_of(), Contains(where) && Contains("checksum mismatch") && Contains("corrupt"));
  }
  SECTION("a state file replaced by another valid one") {
    blobs[state] = chk::frame(chk::file_kind::state, "state of subtask X");  // same size, valid frame
    CHECK_THAT(error_of(), Contains("differs from the one in the manifest"));
  }
  SECTION("a wrong format version") {
    blobs[state][4] = 2;
    CHECK_THAT(error_of(), Contains("unsupported checkpoint format version 2"));
    blobs[state] = good_state;
    blobs["chk-1/MANIFEST"][4] = 7;
    CHECK_THAT(error_of(), Contains("MANIFEST") && Contains("unsupported checkpoint format version 7"));
  }
  SECTION("a missing manifest") {
    blobs.erase("chk-1/MANIFEST");
    CHECK_THAT(error_of(), Contains(where) && Contains("no MANIFEST (the checkpoint never completed)"));
  }
  SECTION("a manifest naming a missing file") {
    blobs.erase(state);
    CHECK_THAT(error_of(), Contains(where) && Contains("listed in the manifest is missing") &&
                               Contains("stage 'counts'"));
  }
  SECTION("a truncated manifest") {
    blobs["chk-1/MANIFEST"].resize(good_manifest.size() / 2);
    CHECK_THAT(error_of(), Contains("MANIFEST") && Contains("truncated"));
  }
  SECTION("a flipped byte in the manifest") {
    blobs["chk-1/MANIFEST"][25] ^= 0x40;
    CHECK_THAT(error_of(), Contains("MANIFEST") && Contains("checksum mismatch"));
  }
  SECTION("a manifest naming a file outside its folder, or a subtask outside the job") {
    auto m = *chk::decode_manifest(good_manifest);
    m.files[0].name = "../chk-2/x.state";
    blobs["chk-1/MANIFEST"] = chk::encode_manifest(m);
    CHECK_THAT(error_of(), Contains("'../chk-2/x.state' is not a plain file name"));
    m = *chk::decode_manifest(good_manifest);
    m.files[0].subtask = 5;
    blobs["chk-1/MANIFEST"] = chk::encode_manifest(m);
    CHECK_THAT(error_of(), Contains("subtask 5 or key groups [0, 64) outside the job (parallelism 2"));
  }
  SECTION("a state file where the manifest belongs") {
    blobs["chk-1/MANIFEST"] = good_state;
    CHECK_THAT(error_of(), Contains("expected a manifest"));
  }
}

TEST_CASE("store: restore takes the newest checkpoint that validates, warning about each newer one") {
  chk::memory_storage s;
  chk::checkpoint_store store(s, 5);
  for (spate::checkpoint_id n = 1; n <= 4; ++n) store.write(sample(n, "@" + std::to_string(n)));
  auto& blobs = s.blobs();

  auto best = store.latest();
  REQUIRE(best.checkpoint);
  CHECK(best.checkpoint->meta.id == 4);
  CHECK(best.warnings.empty());

  blobs[file_named(s, "chk-4", "counts-s0")][17] ^= 0x20;  // a corrupt newest
  blobs.erase("chk-3/MANIFEST");                           // one that never completed
  auto fallback = store.latest();
  REQUIRE(fallback.checkpoint);
  CHECK(fallback.checkpoint->meta.id == 2);
  CHECK(fallback.checkpoint->payloads[0] == "state of subtask 0@2");
  REQUIRE(fallback.warnings.size() == 2);
  CHECK_THAT(fallback.warnings[0], Contains("'chk-4'") && Contains("checksum mismatch") &&
                                       Contains("using an older checkpoint"));
  CHECK_THAT(fallback.warnings[1], Contains("'chk-3'") && Contains("no MANIFEST"));

  blobs.erase("chk-2/MANIFEST");
  blobs.erase(file_named(s, "chk-1", "counts-s1"));
  auto none = store.latest();
  CHECK_FALSE(none.checkpoint);
  CHECK(none.warnings.size() == 4);
}

TEST_CASE("store: with a committed id, newer checkpoints are skipped and the committed one is required") {
  chk::memory_storage s;
  chk::checkpoint_store store(s, 5);
  for (spate::checkpoint_id n = 1; n <= 4; ++n) store.write(sample(n));

  auto c = store.latest({.committed = 3});
  REQUIRE(c.checkpoint);
  CHECK(c.checkpoint->meta.id == 3);
  REQUIRE(c.warnings.size() == 1);
  CHECK_THAT(c.warnings[0], Contains("checkpoint 4 is newer than the committed checkpoint 3"));

  auto fresh = store.latest({.committed = 0});  // nothing committed yet: start from scratch
  CHECK_FALSE(fresh.checkpoint);
  CHECK(fresh.warnings.size() == 4);

  s.blobs()[file_named(s, "chk-3", "counts-s0")][17] ^= 1;
  CHECK_THROWS_WITH(store.latest({.committed = 3}),
                    Contains("the committed checkpoint 3 cannot be restored") && Contains("checksum mismatch"));
  store.discard(3);
  CHECK_THROWS_WITH(store.latest({.committed = 3}), Contains("the committed checkpoint 3 is not in memory storage"));
  CHECK_THROWS_WITH(store.latest({.committed = 9}), Contains("the committed checkpoint 9 is not in"));
}

TEST_CASE("store: retention keeps the newest N completed, removes older and aborted, leaves newer alone") {
  chk::memory_storage s;
  chk::checkpoint_store store(s, 2);
  store.write(sample(1));
  store.write(sample(2));
  s.write("chk-3/0-counts-s0-kg0-64.state", "aborted, no manifest");
  store.write(sample(4));
  s.write("chk-5/0-counts-s0-kg0-64.state", "in flight");
  chk::write_savepoint(s, "before-upgrade", sample(2));

  CHECK(store.ids() == std::vector<spate::checkpoint_id>{1, 2, 3, 4, 5});
  CHECK(store.completed_ids() == std::vector<spate::checkpoint_id>{1, 2, 4});
  CHECK(store.prune(4) == std::vector<spate::checkpoint_id>{1, 3});
  CHECK(store.ids() == std::vector<spate::checkpoint_id>{2, 4, 5});
  CHECK(store.prune(4).empty());
  CHECK(store.prune(4, 1) == std::vector<spate::checkpoint_id>{2});
  CHECK(store.ids() == std::vector<spate::checkpoint_id>{4, 5});
  CHECK(chk::load_savepoint(s, "before-upgrade").meta.kind == chk::checkpoint_kind::savepoint);
  CHECK(store.next_id() == 6);  // past the folder a crash left, never reusing its id
  CHECK_THROWS_AS(chk::checkpoint_store(s, 0), std::invalid_argument);
}

TEST_CASE("store: an id is never written twice, a partial earlier attempt is replaced") {
  chk::memory_storage s;
  chk::checkpoint_store store(s);
  store.write(sample(1));
  CHECK_THROWS_WITH(store.write(sample(1)), Contains("'chk-1' in memory storage already holds a completed checkpoint"));
  s.write("chk-2/stale.state", "left by a crash");
  store.write(sample(2));
  CHECK_FALSE(s.read("chk-2/stale.state").has_value());
  CHECK(store.load(2).ok());
}

TEST_CASE("store: a failing storage fails the write, and what it left is never restored") {
  chk_test::recording_storage s;
  chk::checkpoint_store store(s);
  store.write(sample(1));
  s.fail_on = "MANIFEST";
  CHECK_THROWS_WITH(store.write(sample(2)), Contains("cannot write 'chk-2/MANIFEST'"));
  auto best = store.latest();
  REQUIRE(best.checkpoint);
  CHECK(best.checkpoint->meta.id == 1);
  CHECK_THAT(best.warnings.at(0), Contains("'chk-2'") && Contains("no MANIFEST"));
}

TEST_CASE("store: checkpoints and savepoints in a local folder") {
  chk_test::temp_dir d;
  // [doc:store]
  chk::local_storage disk(d.path() / "checkpoints");  // fails here, naming the folder, if it cannot be written
  chk::checkpoint_store store(disk, /*retained=*/2);

  chk::checkpoint_content c;
  c.id = store.next_id();  // 1 in an empty folder
  c.parallelism = 2;
  c.stage_uids = {"counts"};
  c.files = {{"counts", 0, {0, 64}, "bytes of subtask 0"}, {"counts", 1, {64, 128}, "bytes of subtask 1"}};
  c.sources = {{"orders", "orders-0", 1234}};
  store.write(c);    // chk-1/0-counts-s0-kg0-64.state, chk-1/1-counts-s1-kg64-128.state, then chk-1/MANIFEST
  store.prune(c.id); // once checkpoint 1 is complete: keep the newest 2

  chk::restore_choice r = store.latest();  // the newest that validates
  for (const auto& w : r.warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (r.checkpoint) {
    restore_counts(r.checkpoint->states_of("counts", {0, 64}));  // what worker 0 of 2 reads
    seek_sources(r.checkpoint->meta.sources);                    // (source uid, split, offset)
  }
  // [end]
  REQUIRE(r.checkpoint);
  CHECK(r.checkpoint->states_of("counts", {0, 64}) == std::vector<std::string_view>{"bytes of subtask 0"});
  CHECK(std::filesystem::is_regular_file(d.path() / "checkpoints" / "chk-1" / "MANIFEST"));

  // A flipped byte on disk: found by the checksum, the previous one is used.
  c.id = 2;
  store.write(c);
  const auto file = d.path() / "checkpoints" / "chk-2" / "1-counts-s1-kg64-128.state";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('#');
  }
  auto r2 = store.latest();
  REQUIRE(r2.checkpoint);
  CHECK(r2.checkpoint->meta.id == 1);
  CHECK_THAT(r2.warnings.at(0), Contains("checksum mismatch") && Contains(d.path().string()));

  // Truncated on disk.
  std::filesystem::resize_file(file, 10);
  CHECK_THAT(store.load(2).error().message(), Contains("is 10 bytes, the manifest says"));

  // [doc:savepoint]
  chk::local_storage backups(d.path() / "savepoints");
  chk::write_savepoint(backups, "before-upgrade", c);  // never pruned
  chk::loaded_checkpoint sp = chk::load_savepoint(backups, "before-upgrade");  // throws unless it validates
  // [end]
  CHECK(sp.meta.kind == chk::checkpoint_kind::savepoint);
  CHECK(sp.payloads[1] == "bytes of subtask 1");
  CHECK_THROWS_WITH(chk::write_savepoint(backups, "before-upgrade", c), Contains("already holds a completed savepoint"));
  CHECK_THROWS_WITH(chk::write_savepoint(backups, "chk-9", c), Contains("must not be named like a checkpoint"));
  std::filesystem::remove(d.path() / "savepoints" / "before-upgrade" / "MANIFEST");
  CHECK_THROWS_WITH(chk::load_savepoint(backups, "before-upgrade"), Contains("no MANIFEST"));
}

TEST_CASE("store: every single flipped byte and every truncation of every file is detected") {
  chk::memory_storage s;
  chk::checkpoint_store store(s);
  store.write(sample(1));
  auto& blobs = s.blobs();
  std::vector<std::string> names;
  for (auto& [name, bytes] : blobs) names.push_back(name);
  std::size_t cases = 0;
  for (const auto& name : names) {
    const std::string good = blobs[name];
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (unsigned char mask : {0x01, 0x80, 0xff}) {
        blobs[name][i] = static_cast<char>(good[i] ^ mask);
        INFO(name << " byte " << i << " ^ " << int(mask));
        REQUIRE_FALSE(store.load(1).ok());
        ++cases;
      }
      blobs[name] = good.substr(0, i);
      INFO(name << " truncated to " << i);
      REQUIRE_FALSE(store.load(1).ok());
      blobs[name] = good;
    }
    blobs[name] = good + '\0';
    REQUIRE_FALSE(store.load(1).ok());
    blobs[name] = good;
  }
  CHECK(cases > 300);
  CHECK(store.load(1).ok());
}
