#pragma once
// Nexmark q0, q1, q2, q10, q13, q14, q21, q22: per-bid queries, no state.
// Each takes the bid stream (sources.hpp) and returns the pipeline without
// its sink; the caller appends one.
#include <spate/spate.hpp>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rows.hpp"

namespace nexmark {

/// "yyyy-MM-dd" and "HH:mm" of a time in ms since the epoch, UTC.
inline std::string format_day(std::int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}
inline std::string format_hm(std::int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[8];
  std::strftime(buf, sizeof buf, "%H:%M", &tm);
  return buf;
}
inline int hour_of(std::int64_t ms) { return static_cast<int>((ms / 3'600'000) % 24); }

// q0: pass-through (SELECT auction, bidder, price, dateTime, extra FROM bid).
template <class Bids>
auto q0(Bids bids) {
  return std::move(bids) | spate::map([](auto&& b) -> bid { return std::forward<decltype(b)>(b); });
}

// q1: currency conversion, dollars to euros (0.908 * price, three decimals).
// [doc:nexmark-q1]
template <class Bids>
auto q1(Bids bids) {
  return std::move(bids) | spate::map([](auto&& b) {
           return q1_row{b.auction, b.bidder, b.price * 908, b.date_time, std::forward<decltype(b)>(b).extra};
         });
}
// [end]

// q2: selection (auction % 123 == 0).
template <class Bids>
auto q2(Bids bids) {
  return std::move(bids) | spate::filter([](const bid& b) { return b.auction % 123 == 0; }) |
         spate::map([](const bid& b) { return q2_row{b.auction, b.price}; });
}

// q10: every bid as a CSV line into dir/dt=yyyy-MM-dd/hm=HH:mm/part-N.csv
// (Flink's partitioned filesystem sink: partition columns dt and hm).
struct partitioned_csv {
  std::string dir;
  struct files {
    std::string dir;
    int part;
    std::map<std::string, std::FILE*> open;
    ~files() {
      for (auto& [_, f] : open) std::fclose(f);
    }
  };
  std::shared_ptr<files> state;  // made at the first record, so each worker's copy has its own
  void operator()(const bid& b) {
    if (!state) {
      static std::atomic<int> parts{0};
      state = std::make_shared<files>(files{dir, parts++, {}});
    }
    const std::string day = format_day(b.date_time), hm = format_hm(b.date_time);
    std::string key = "dt=" + day + "/hm=" + hm;
    auto it = state->open.find(key);
    if (it == state->open.end()) {
      const auto path = std::filesystem::path(dir) / ("dt=" + day) / ("hm=" + hm);
      std::filesystem::create_directories(path);
      const auto file = path / ("part-" + std::to_string(state->part) + ".csv");
      std::FILE* f = std::fopen(file.c_str(), "w");
      if (!f) throw std::runtime_error("q10: cannot open " + file.string());
      it = state->open.emplace(std::move(key), f).first;
    }
    std::fprintf(it->second, "%lld,%lld,%lld,%lld,%s,%s,%s\n", static_cast<long long>(b.auction),
                 static_cast<long long>(b.bidder), static_cast<long long>(b.price),
                 static_cast<long long>(b.date_time), b.extra.c_str(), day.c_str(), hm.c_str());
  }
};
template <class Bids>
auto q10(Bids bids, std::string dir) {
  return std::move(bids) | spate::for_each(partitioned_csv{std::move(dir), {}}).per_worker();
}

// q13: bounded side input join: each bid with the side input's value for
// key auction % 10000 (a table read before the job, shared by every worker).
using side_input = std::unordered_map<std::int64_t, std::string>;
inline std::shared_ptr<const side_input> read_side_input(const std::string& path) {
  auto t = std::make_shared<side_input>();
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error("q13: cannot open the side input " + path);
  char line[4096];
  while (std::fgets(line, sizeof line, f)) {
    std::string_view l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.remove_suffix(1);
    const auto comma = l.find(',');
    if (comma == std::string_view::npos) continue;
    (*t)[std::stoll(std::string(l.substr(0, comma)))] = std::string(l.substr(comma + 1));
  }
  std::fclose(f);
  return t;
}
/// The side input the Flink project ships is keys 0..9999 with a value each;
/// this writes one like it.
inline void write_side_input(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("q13: cannot write " + path);
  for (int k = 0; k < 10'000; ++k) std::fprintf(f, "%d,%d\n", k, k * 7 % 10'000);
  std::fclose(f);
}
template <class Bids>
auto q13(Bids bids, std::shared_ptr<const side_input> side) {
  return std::move(bids) | spate::flat_map<q13_row>([side](const bid& b, auto& emit) {
           if (auto it = side->find(b.auction % 10'000); it != side->end())
             emit(q13_row{b.auction, b.bidder, b.price, b.date_time, it->second});
         });
}

// q14: a calculation with a user function: euros, the time of day, and the
// number of 'c' in extra, for prices between 1 M and 50 M euros.
template <class Bids>
auto q14(Bids bids) {
  return std::move(bids) |
         spate::filter([](const bid& b) { return b.price * 908 > 1'000'000'000 && b.price * 908 < 50'000'000'000; }) |
         spate::map([](const bid& b) {
           const int h = hour_of(b.date_time);
           std::string type = h >= 8 && h <= 18 ? "dayTime" : (h <= 6 || h >= 20) ? "nightTime" : "otherTime";
           std::int64_t c = 0;
           for (char ch : b.extra) c += ch == 'c';
           return q14_row{b.auction, b.bidder, b.price * 908, std::move(type), b.date_time, b.extra, c};
         });
}

/// REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): the value of the first
/// channel_id parameter at the start of the URL or after a '&'.
inline std::optional<std::string_view> channel_id_of(std::string_view url) {
  constexpr std::string_view key = "channel_id=";
  for (std::size_t pos = 0; (pos = url.find(key, pos)) != std::string_view::npos; ++pos) {
    if (pos == 0 || url[pos - 1] == '&') {
      const auto v = url.substr(pos + key.size());
      return v.substr(0, v.find('&'));
    }
  }
  return std::nullopt;
}

// q21: the channel's id: fixed for the four hot channels, else from the URL.
template <class Bids>
auto q21(Bids bids) {
  return std::move(bids) | spate::flat_map<q21_row>([](const bid& b, auto& emit) {
           std::string lower = b.channel;
           for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
           const char* fixed = lower == "apple" ? "0" : lower == "google" ? "1" : lower == "facebook" ? "2"
                             : lower == "baidu" ? "3" : nullptr;
           if (fixed) {
             emit(q21_row{b.auction, b.bidder, b.price, b.channel, fixed});
           } else if (auto id = channel_id_of(b.url)) {
             emit(q21_row{b.auction, b.bidder, b.price, b.channel, std::string(*id)});
           }
         });
}

/// SPLIT_INDEX(s, '/', i): the i-th piece (0-based), or "" when there is none
/// (Flink gives NULL; a row keeps "" here).
inline std::string_view split_index(std::string_view s, std::size_t i) {
  for (; i > 0; --i) {
    const auto p = s.find('/');
    if (p == std::string_view::npos) return {};
    s.remove_prefix(p + 1);
  }
  return s.substr(0, s.find('/'));
}

// q22: the first three directories of the bid's URL.
template <class Bids>
auto q22(Bids bids) {
  return std::move(bids) | spate::map([](const bid& b) {
           return q22_row{b.auction, b.bidder, b.price, b.channel, std::string(split_index(b.url, 3)),
                          std::string(split_index(b.url, 4)), std::string(split_index(b.url, 5))};
         });
}

}  // namespace nexmark
