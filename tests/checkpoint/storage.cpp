#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <spate/checkpoint/local_storage.hpp>
#include <spate/checkpoint/storage.hpp>

#include "support.hpp"

namespace chk = spate::checkpoint;
using Catch::Matchers::Contains;

namespace {
// The contract every storage keeps, run against each implementation.
void storage_contract(chk::storage& s) {
  CHECK_FALSE(s.read("chk-1/MANIFEST").has_value());
  CHECK(s.list().empty());

  s.write("chk-1/a.state", "alpha");
  s.write("chk-1/MANIFEST", "m1");
  s.write("chk-2/b.state", std::string("\0\x01\xff", 3));
  s.write("top", "");
  CHECK(s.read("chk-1/a.state") == "alpha");
  CHECK(s.read("chk-2/b.state") == std::string("\0\x01\xff", 3));
  CHECK(s.read("top") == "");

  CHECK(s.list() == std::vector<std::string>{"chk-1/MANIFEST", "chk-1/a.state", "chk-2/b.state", "top"});
  CHECK(s.list("chk-1/") == std::vector<std::string>{"chk-1/MANIFEST", "chk-1/a.state"});
  CHECK(s.list("nothing").empty());

  s.write("chk-1/a.state", "beta");  // replaced whole
  CHECK(s.read("chk-1/a.state") == "beta");

  s.remove("chk-1/a.state");
  s.remove("chk-1/a.state");  // removing what is gone is fine
  CHECK_FALSE(s.read("chk-1/a.state").has_value());

  s.remove_folder("chk-1");
  CHECK(s.list() == std::vector<std::string>{"chk-2/b.state", "top"});

  CHECK_THROWS_WITH(s.write("", "x"), Contains("is empty"));
  CHECK_THROWS_WITH(s.write("/etc/passwd", "x"), Contains("absolute"));
  CHECK_THROWS_WITH(s.write("chk-1/../../x", "x"), Contains("'..'"));
  CHECK_THROWS_WITH(s.write("chk-1//x", "x"), Contains("empty component"));
}
}  // namespace

TEST_CASE("storage contract: memory storage") {
  chk::memory_storage s;
  storage_contract(s);
}

TEST_CASE("storage contract: local folder") {
  chk_test::temp_dir d;
  chk::local_storage s(d.path() / "checkpoints");
  storage_contract(s);
  CHECK(std::filesystem::is_regular_file(d.path() / "checkpoints" / "chk-2" / "b.state"));
}

TEST_CASE("local storage: a write leaves no temporary file, and a crash's leftovers are not listed") {
  chk_test::temp_dir d;
  chk::local_storage s(d.path());
  s.write("chk-3/x.state", std::string(200000, 'x'));  // more than one write() call's buffer
  std::size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(d.path()))
    if (e.is_regular_file()) ++files;
  CHECK(files == 1);
  CHECK(s.read("chk-3/x.state")->size() == 200000);
  // What a process killed inside write() leaves: a temporary name.
  std::ofstream(d.path() / "chk-3" / "y.state.tmp-999-0") << "partial";
  CHECK(s.list() == std::vector<std::string>{"chk-3/x.state"});
  CHECK_FALSE(s.read("chk-3/y.state").has_value());
  s.remove_folder("chk-3");  // the leftover goes with its folder
  CHECK_FALSE(std::filesystem::exists(d.path() / "chk-3"));
}

TEST_CASE("local storage: a folder that cannot be written fails with a message naming it") {
  chk_test::temp_dir d;
  std::filesystem::create_directories(d.path());
  std::ofstream(d.path() / "a-file") << "not a folder";
  const auto under_file = (d.path() / "a-file" / "checkpoints").string();
  CHECK_THROWS_WITH(chk::local_storage(under_file),
                    Contains("checkpoint folder '" + under_file + "'") && Contains("cannot be created"));
  CHECK_THROWS_AS(chk::local_storage(under_file), chk::checkpoint_error);

  const auto is_file = (d.path() / "a-file").string();
  CHECK_THROWS_WITH(chk::local_storage(is_file), Contains("'" + is_file + "'"));

  if (::geteuid() != 0) {  // root writes through permissions
    const auto ro = d.path() / "read-only";
    std::filesystem::create_directories(ro);
    std::filesystem::permissions(ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CHECK_THROWS_WITH(chk::local_storage(ro), Contains("'" + ro.string() + "' cannot be written"));
    std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
  }
}

TEST_CASE("local storage: a write that cannot be done names the file and the folder") {
  chk_test::temp_dir d;
  chk::local_storage s(d.path());
  std::ofstream(d.path() / "chk-1") << "a file where a folder belongs";
  CHECK_THROWS_WITH(s.write("chk-1/x.state", "x"),
                    Contains("cannot create '" + (d.path() / "chk-1" / "x.state").string()) &&
                        Contains("in the checkpoint folder '" + d.path().string() + "'") && Contains("Not a directory"));
  CHECK_THROWS_WITH(s.write("chk-2/x.tmp-1", "x"), Contains("keeps for its temporary files"));
  std::filesystem::create_directories(d.path() / "chk-3" / "dir.state");
  CHECK_THROWS_WITH(s.read("chk-3/dir.state"), Contains("cannot read") && Contains("dir.state"));
}

TEST_CASE("local storage: describe names the folder") {
  chk_test::temp_dir d;
  chk::local_storage s(d.path());
  CHECK(s.describe() == "local folder '" + d.path().string() + "'");
}

TEST_CASE("local storage: a process killed during a write leaves the old blob or the new one, never a part") {
  chk_test::temp_dir d;
  chk::local_storage s(d.path());
  const std::string old_bytes(1000, 'o');
  for (int round = 0; round < 6; ++round) {
    s.write("chk-1/big.state", old_bytes);
    const std::string new_bytes(8u << 20, static_cast<char>('a' + round));
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        for (;;) {
          s.write("chk-1/big.state", new_bytes);
          s.write("chk-1/big.state", old_bytes);
        }
      } catch (...) {
      }
      ::_exit(1);
    }
    ::usleep(static_cast<useconds_t>(2000 + round * 7000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    auto got = s.read("chk-1/big.state");
    REQUIRE(got.has_value());
    REQUIRE((*got == old_bytes || *got == new_bytes));
    CHECK(s.list() == std::vector<std::string>{"chk-1/big.state"});  // the killed write's temporary is not listed
  }
}
