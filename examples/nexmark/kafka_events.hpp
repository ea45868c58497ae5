#pragma once
// Nexmark events in Kafka, as JSON: the generator writes them into a topic,
// and the DDL's views read them back from it.
//
// The record is the Nexmark project's Kafka table (ddl_kafka.sql):
//   {"event_type": 0|1|2, "person": {...}, "auction": {...}, "bid": {...}}
// with exactly the field of its event_type present. Field names are the
// model's (snake case); times are milliseconds since the epoch.
#include <spate/kafka.hpp>
#include <spate/serde/json.hpp>
#include <spate/spate.hpp>

#include <boost/hana/define_struct.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "generator.hpp"
#include "sources.hpp"

namespace nexmark {

struct kafka_event {
  BOOST_HANA_DEFINE_STRUCT(kafka_event,
    (int, event_type),
    (std::optional<nexmark::person>, person),
    (std::optional<nexmark::auction>, auction),
    (std::optional<nexmark::bid>, bid));
  friend bool operator==(const kafka_event&, const kafka_event&) = default;
};

struct to_kafka_event_fn {
  kafka_event operator()(event e) const {
    kafka_event k;
    k.event_type = static_cast<int>(e.index());
    switch (e.index()) {
      case 0: k.person = std::get<0>(std::move(e)); break;
      case 1: k.auction = std::get<1>(std::move(e)); break;
      default: k.bid = std::get<2>(std::move(e)); break;
    }
    return k;
  }
};

/// The event a Kafka record holds; a record whose event_type is not 0, 1 or
/// 2, or lacks that type's field, or has another's, is an error that says so.
struct from_kafka_event_fn {
  event operator()(kafka_event k) const {
    const int have = int(k.person.has_value()) + int(k.auction.has_value()) + int(k.bid.has_value());
    auto bad = [&](const char* why) {
      return std::invalid_argument("nexmark: a Kafka event with event_type " + std::to_string(k.event_type) + " " +
                                   why);
    };
    if (have != 1) throw bad(have == 0 ? "has no person, auction or bid" : "has more than one of person, auction, bid");
    switch (k.event_type) {
      case 0:
        if (!k.person) throw bad("has no person");
        return std::move(*k.person);
      case 1:
        if (!k.auction) throw bad("has no auction");
        return std::move(*k.auction);
      case 2:
        if (!k.bid) throw bad("has no bid");
        return std::move(*k.bid);
      default: throw bad("is not 0 (person), 1 (auction) or 2 (bid)");
    }
  }
};

// [doc:nexmark-to-kafka]
/// Events 0 .. n-1 of g as JSON records into `topic`, at least once (every
/// record acknowledged by the broker when it returns). At parallelism P each
/// shard writes its part of the sequence; at P = 1 the topic's partitions
/// hold the events in sequence order.
inline void write_to_kafka(const generator& g, std::uint64_t n, const spate::kafka::config& cfg,
                           const std::string& topic, std::size_t parallelism = 1) {
  spate::run(spate::generate(g, n) | spate::map(to_kafka_event_fn{}) |
                 spate::kafka::sink(cfg, topic, spate::serde::json<kafka_event>{})
                     .delivery_guarantee(spate::kafka::delivery::at_least_once),
             spate::parallelism{parallelism});
}
// [end]

/// The events in `topic`, from the earliest offsets to the end offsets seen
/// when the source opens (a bounded read), with the DDL's watermark.
inline auto kafka_events(const spate::kafka::config& cfg, const std::string& topic) {
  return spate::kafka::source(cfg, {topic}, spate::serde::json<kafka_event>{}).until_offsets_end() |
         spate::map(from_kafka_event_fn{}) | spate::with_watermarks(event_time_fn{}, watermark_4s{});
}

template <class T>
struct kafka_view_fn {
  timed<T> operator()(event e) const {
    timed<T> t{date_time_of(e), std::nullopt};
    if (auto* v = std::get_if<T>(&e)) t.value = std::move(*v);
    return t;
  }
};
/// The DDL's views of one kind over the Kafka table: the watermark over every
/// event before the filter, as the generator's views (sources.hpp).
template <class T>
auto kafka_view(const spate::kafka::config& cfg, const std::string& topic) {
  return spate::kafka::source(cfg, {topic}, spate::serde::json<kafka_event>{}).until_offsets_end() |
         spate::map(from_kafka_event_fn{}) | spate::map(kafka_view_fn<T>{}) |
         spate::with_watermarks(date_time_fn{}, watermark_4s{}) | spate::filter(has_value_fn{}) |
         spate::map(unwrap_fn<T>{});
}
inline auto kafka_bids(const spate::kafka::config& cfg, const std::string& topic) {
  return kafka_view<bid>(cfg, topic);
}
inline auto kafka_auctions(const spate::kafka::config& cfg, const std::string& topic) {
  return kafka_view<auction>(cfg, topic);
}
inline auto kafka_persons(const spate::kafka::config& cfg, const std::string& topic) {
  return kafka_view<person>(cfg, topic);
}

}  // namespace nexmark
