// Every code example in docs/records.md and docs/serializers.md, compiled and
// run. A region between "// [doc:NAME]" and "// [end]" appears verbatim in
// the docs; scripts/doc-snippets (the doc_snippets test) keeps the two in step.

#include <catch2/catch.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <spate/serde.hpp>
#include <spate/serde/json.hpp>

// [doc:define_struct]
struct trade {
  BOOST_HANA_DEFINE_STRUCT(trade,
    (std::string, symbol),
    (std::int64_t, quantity),
    (double, price),
    (std::optional<std::string>, venue));
};
// [end]

// [doc:adapt_struct]
namespace vendor {  // a header you cannot edit
struct quote {
  std::string symbol;
  double bid = 0, ask = 0;
};
}  // namespace vendor

BOOST_HANA_ADAPT_STRUCT(vendor::quote, symbol, bid, ask);
// [end]

// [doc:value_like]
// A Value-like type owns its layout: here a money amount that keeps a
// version byte of its own, so its encoding can evolve.
class money {
 public:
  money(std::int64_t cents, std::string currency)
      : cents_(cents), currency_(std::move(currency)) {}

  std::int64_t cents() const { return cents_; }
  const std::string& currency() const { return currency_; }

  void write(spate::serde::writer& w) const {
    w.write_u8(1);  // layout version
    w.write(cents_, currency_);
  }

  static spate::result<money> read(spate::serde::reader& r) {
    const auto start = r.offset();
    auto version = r.read_u8();
    if (!version) return version.error();
    if (*version != 1)
      return r.fail_at(start, "unknown money layout " + std::to_string(*version));
    auto cents = r.read<std::int64_t>();
    if (!cents) return cents.error().in_field("cents");
    auto currency = r.read<std::string>();
    if (!currency) return currency.error().in_field("currency");
    if (currency->size() != 3)
      return r.fail_at(start, "currency must be 3 letters, got '" + *currency + "'");
    return money(*cents, *currency);
  }

 private:
  std::int64_t cents_;
  std::string currency_;
};
// [end]

// [doc:codec]
namespace vendor {  // again a type we cannot edit
struct rgb { std::uint8_t r, g, b; };
}  // namespace vendor

template <>
struct spate::serde::codec<vendor::rgb> {
  static constexpr std::size_t min_size = 3;
  static void write(writer& w, const vendor::rgb& c) { w.write(c.r, c.g, c.b); }
  static result<vendor::rgb> read(reader& r) {
    auto bytes = r.read_bytes(3);
    if (!bytes) return bytes.error();
    auto at = [&](int i) { return static_cast<std::uint8_t>((*bytes)[i]); };
    return vendor::rgb{at(0), at(1), at(2)};
  }
};
// [end]

// [doc:custom_serializer]
// A Serializer of one's own: integers as decimal text.
struct decimal_int {
  using value_type = long;

  void serialize(long v, std::string& out) const { out += std::to_string(v); }

  spate::result<long> deserialize(std::string_view in) const {
    long v = 0;
    auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), v);
    if (ec != std::errc() || end != in.data() + in.size())
      return spate::error("not a decimal integer",
                          static_cast<std::size_t>(end - in.data()), {}, "decimal_int");
    return v;
  }
};
static_assert(spate::SerializerOf<decimal_int, long>);
// [end]

TEST_CASE("doc: records", "[serde][doc]") {
  // [doc:basic_records]
  using spate::serde::binary;
  using row = std::tuple<std::string, std::int32_t, std::pair<double, bool>>;

  std::string bytes;
  binary<row>{}.serialize(row{"apple", 3, {0.5, true}}, bytes);

  spate::result<row> back = binary<row>{}.deserialize(bytes);
  REQUIRE(back.ok());
  CHECK(std::get<0>(*back) == "apple");
  // [end]

  // [doc:reflect]
  static_assert(spate::is_reflected_v<trade>);
  static_assert(spate::field_count_v<trade> == 4);
  static_assert(spate::field_name<&trade::price>() == "price");

  trade t{"ACME", 100, 9.5, std::nullopt};
  std::vector<std::string> names;
  spate::for_each_field(t, [&](std::string_view name, const auto& value) {
    names.emplace_back(name);
    (void)value;  // the field itself, with its own type
  });
  CHECK(names == std::vector<std::string>{"symbol", "quantity", "price", "venue"});
  // [end]

  binary<trade>{}.serialize(t, bytes);  // nested use below must compile
  binary<vendor::quote> q;
  std::string qb;
  q.serialize({"ACME", 9.4, 9.6}, qb);
  CHECK(q.deserialize(qb)->ask == 9.6);

  // [doc:value_like_use]
  spate::serde::binary<std::vector<money>> wallets;
  std::string buf;
  wallets.serialize({money(1999, "EUR"), money(5, "USD")}, buf);
  auto wallet = wallets.deserialize(buf);
  REQUIRE(wallet.ok());
  CHECK((*wallet)[1].currency() == "USD");

  buf[buf.size() - 4] = '\x02';  // currency length 2: "US", then 1 stray byte
  CHECK(wallets.deserialize(buf).error().message() ==
        "binary<std::vector<money>>: at byte 16 (field '[1]'): "
        "currency must be 3 letters, got 'US'");
  // [end]

  std::string cb;
  binary<vendor::rgb>{}.serialize({1, 2, 3}, cb);
  CHECK(binary<vendor::rgb>{}.deserialize(cb)->b == 3);
}

TEST_CASE("doc: serializers", "[serde][doc]") {
  // [doc:binary]
  spate::serde::binary<trade> ser;
  std::string bytes;
  ser.serialize(trade{"ACME", 100, 9.5, "XNYS"}, bytes);

  spate::result<trade> ok = ser.deserialize(bytes);
  CHECK(ok->venue == "XNYS");

  spate::result<trade> bad = ser.deserialize(std::string_view(bytes).substr(0, 12));
  CHECK_FALSE(bad.ok());
  CHECK(bad.error().message() ==
        "binary<trade>: at byte 7 (field 'quantity'): truncated input, needed 8 bytes, 5 left");
  CHECK(bad.error().offset == 7);
  CHECK(bad.error().field == "quantity");
  // [end]

  // [doc:json]
  spate::serde::json<trade> js;
  std::string text;
  js.serialize(trade{"ACME", 100, 9.5, std::nullopt}, text);
  CHECK(text == R"({"symbol":"ACME","quantity":100,"price":9.5})");

  auto parsed = js.deserialize(R"({"symbol":"ACME","quantity":"100","price":9.5})");
  CHECK(parsed.error().message() ==
        R"(json<trade>: field 'quantity': expected integer, got string "100")");
  // [end]

  // [doc:key_value]
  using kv_t = spate::serde::key_value<spate::serde::string_schema,
                                       spate::serde::json<trade>>;
  kv_t kv;
  std::string key, value;              // Kafka: two buffers
  kv.serialize_key("ACME", key);
  kv.serialize_value(trade{"ACME", 1, 2.0, std::nullopt}, value);
  auto record = kv.deserialize(key, value);
  CHECK(record->second.quantity == 1);

  std::string framed;                  // state, checkpoints: one buffer
  kv.serialize(*record, framed);
  CHECK(kv.deserialize(framed)->first == "ACME");
  // [end]

  // [doc:string_schema]
  spate::serde::string_schema plain;
  CHECK(*plain.deserialize("any \xff bytes") == "any \xff bytes");

  spate::serde::utf8_string_schema text_only;
  CHECK(text_only.deserialize("caf\xC3").error().message() ==
        "utf8_string_schema: at byte 3: invalid UTF-8: truncated 2-byte sequence");
  // [end]

  // [doc:result]
  spate::result<trade> r = ser.deserialize("not a record");
  if (!r) {
    const spate::error& e = r.error();
    CHECK(e.what == "bad magic byte 0x6e (expected 0xb5): not a spate binary record");
    CHECK(e.offset == 0);
  }
  CHECK_THROWS_AS(r.value(), spate::error_exception);
  // [end]

  decimal_int d;
  std::string ds;
  d.serialize(-42, ds);
  CHECK(*d.deserialize(ds) == -42);
  CHECK(d.deserialize("12x").error().message() == "decimal_int: at byte 2: not a decimal integer");
}
