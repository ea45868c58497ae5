// Nexmark q0, q1, q2, q10, q13, q14, q21, q22 against the reference, at
// parallelism 1 and 2, fused and unfused.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "queries_stateless.hpp"
#include "reference.hpp"
#include "sources.hpp"

namespace {
constexpr std::uint64_t n_events = 30'000;

template <class Row, class Make>
void check_query(Make make, const std::vector<Row>& expected) {
  const nexmark::generator g(ref::test_config());
  const auto want = ref::texts(expected);
  for (std::size_t p : {1, 2}) {
    std::vector<Row> got;
    spate::run(make(nexmark::bids(g, n_events)) | spate::collect_into(got), spate::parallelism{p});
    CHECK(ref::texts(got) == want);
  }
  std::vector<Row> unfused;
  spate::run_unfused(make(nexmark::bids(g, n_events)) | spate::collect_into(unfused));
  CHECK(ref::texts(unfused) == want);
}

const ref::streams& data() {
  static const ref::streams s = ref::materialize(nexmark::generator(ref::test_config()), n_events);
  return s;
}
}  // namespace

TEST_CASE("nexmark q0: every bid passes through") {
  check_query<nexmark::bid>([](auto b) { return nexmark::q0(std::move(b)); }, data().bids);
}

TEST_CASE("nexmark q1: prices in euros, three decimals") {
  std::vector<nexmark::q1_row> want;
  for (const auto& b : data().bids) want.push_back({b.auction, b.bidder, b.price * 908, b.date_time, b.extra});
  check_query<nexmark::q1_row>([](auto b) { return nexmark::q1(std::move(b)); }, want);
}

TEST_CASE("nexmark q2: bids of auctions whose id is a multiple of 123") {
  std::vector<nexmark::q2_row> want;
  for (const auto& b : data().bids)
    if (b.auction % 123 == 0) want.push_back({b.auction, b.price});
  REQUIRE(!want.empty());
  check_query<nexmark::q2_row>([](auto b) { return nexmark::q2(std::move(b)); }, want);
}

TEST_CASE("nexmark q14: euros between 1 M and 50 M, time of day, count of 'c'") {
  std::vector<nexmark::q14_row> want;
  for (const auto& b : data().bids) {
    const double euros = 0.908 * static_cast<double>(b.price);
    if (!(euros > 1'000'000 && euros < 50'000'000)) continue;
    std::time_t s = b.date_time / 1000;
    std::tm tm{};
    gmtime_r(&s, &tm);
    const int h = tm.tm_hour;
    const char* type = (h >= 8 && h <= 18) ? "dayTime" : (h <= 6 || h >= 20) ? "nightTime" : "otherTime";
    want.push_back({b.auction, b.bidder, b.price * 908, type, b.date_time, b.extra,
                    static_cast<std::int64_t>(std::count(b.extra.begin(), b.extra.end(), 'c'))});
  }
  REQUIRE(!want.empty());
  check_query<nexmark::q14_row>([](auto b) { return nexmark::q14(std::move(b)); }, want);
}

TEST_CASE("nexmark q21: channel ids, fixed or extracted from the URL with the query's regex") {
  const std::regex re("(&|^)channel_id=([^&]*)");
  std::vector<nexmark::q21_row> want;
  for (const auto& b : data().bids) {
    std::string lower = b.channel;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::smatch m;
    const bool found = std::regex_search(b.url, m, re);
    if (lower == "apple") want.push_back({b.auction, b.bidder, b.price, b.channel, "0"});
    else if (lower == "google") want.push_back({b.auction, b.bidder, b.price, b.channel, "1"});
    else if (lower == "facebook") want.push_back({b.auction, b.bidder, b.price, b.channel, "2"});
    else if (lower == "baidu") want.push_back({b.auction, b.bidder, b.price, b.channel, "3"});
    else if (found) want.push_back({b.auction, b.bidder, b.price, b.channel, m[2].str()});
  }
  check_query<nexmark::q21_row>([](auto b) { return nexmark::q21(std::move(b)); }, want);
}

TEST_CASE("nexmark q22: the URL's first three directories") {
  std::vector<nexmark::q22_row> want;
  for (const auto& b : data().bids) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : b.url) {
      if (c == '/') parts.push_back(cur), cur.clear();
      else cur += c;
    }
    parts.push_back(cur);
    auto at = [&](std::size_t i) { return i < parts.size() ? parts[i] : std::string(); };
    want.push_back({b.auction, b.bidder, b.price, b.channel, at(3), at(4), at(5)});
  }
  check_query<nexmark::q22_row>([](auto b) { return nexmark::q22(std::move(b)); }, want);
}

TEST_CASE("nexmark q13: bids joined with a bounded side input read from a file") {
  const auto dir = std::filesystem::temp_directory_path() / ("spate_nexmark_q13_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "side_input.txt").string();
  nexmark::write_side_input(path);
  std::map<std::int64_t, std::string> side;  // read back independently
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) side[std::stoll(line.substr(0, line.find(',')))] = line.substr(line.find(',') + 1);
  }
  REQUIRE(side.size() == 10'000);
  std::vector<nexmark::q13_row> want;
  for (const auto& b : data().bids) want.push_back({b.auction, b.bidder, b.price, b.date_time, side.at(b.auction % 10'000)});
  const auto table = nexmark::read_side_input(path);
  check_query<nexmark::q13_row>([table](auto b) { return nexmark::q13(std::move(b), table); }, want);
  std::filesystem::remove_all(dir);
}

TEST_CASE("nexmark q10: bids as CSV files partitioned by day and minute") {
  const auto dir = std::filesystem::temp_directory_path() / ("spate_nexmark_q10_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const nexmark::generator g(ref::test_config());
  spate::run(nexmark::q10(nexmark::bids(g, n_events), dir.string()), spate::parallelism{2});
  std::vector<std::string> got, want;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    const auto hm = f.path().parent_path().filename().string();        // hm=HH:mm
    const auto dt = f.path().parent_path().parent_path().filename().string();  // dt=yyyy-MM-dd
    std::ifstream in(f.path());
    std::string line;
    while (std::getline(in, line)) {
      got.push_back(line);
      CHECK(line.substr(line.size() - 5) == hm.substr(3));  // the row's partition columns are its directory's
      CHECK(line.find("," + dt.substr(3) + ",") != std::string::npos);
    }
  }
  for (const auto& b : data().bids) {
    std::time_t s = b.date_time / 1000;
    std::tm tm{};
    gmtime_r(&s, &tm);
    char part[64];
    std::snprintf(part, sizeof part, "%04d-%02d-%02d,%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min);
    want.push_back(std::to_string(b.auction) + "," + std::to_string(b.bidder) + "," + std::to_string(b.price) + "," +
                   std::to_string(b.date_time) + "," + b.extra + "," + part);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  CHECK(got == want);
  std::filesystem::remove_all(dir);
}
