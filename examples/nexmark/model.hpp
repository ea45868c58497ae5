#pragma once
// The Nexmark records: a person registers, opens an auction, people bid.
// Field names follow the Nexmark DDL (ddl_gen.sql) in snake case; times are
// milliseconds since the epoch (the DDL's TIMESTAMP(3)).
#include <boost/hana/define_struct.hpp>

#include <cstdint>
#include <string>
#include <variant>

namespace nexmark {

struct person {
  BOOST_HANA_DEFINE_STRUCT(person,
    (std::int64_t, id),
    (std::string, name),
    (std::string, email_address),
    (std::string, credit_card),
    (std::string, city),
    (std::string, state),
    (std::int64_t, date_time),
    (std::string, extra));
  friend bool operator==(const person&, const person&) = default;
};

struct auction {
  BOOST_HANA_DEFINE_STRUCT(auction,
    (std::int64_t, id),
    (std::string, item_name),
    (std::string, description),
    (std::int64_t, initial_bid),
    (std::int64_t, reserve),
    (std::int64_t, date_time),
    (std::int64_t, expires),
    (std::int64_t, seller),
    (std::int64_t, category),
    (std::string, extra));
  friend bool operator==(const auction&, const auction&) = default;
};

struct bid {
  BOOST_HANA_DEFINE_STRUCT(bid,
    (std::int64_t, auction),
    (std::int64_t, bidder),
    (std::int64_t, price),
    (std::string, channel),
    (std::string, url),
    (std::int64_t, date_time),
    (std::string, extra));
  friend bool operator==(const bid&, const bid&) = default;
};

/// One event of the stream; index 0, 1, 2 is the DDL's event_type.
using event = std::variant<person, auction, bid>;

enum class kind : int { person = 0, auction = 1, bid = 2 };

inline std::int64_t date_time_of(const event& e) {
  return std::visit([](const auto& x) { return x.date_time; }, e);
}

}  // namespace nexmark
