// json<T>: round trips, the JSON shape, and errors that name the field.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <spate/serde/binary.hpp>
#include <spate/serde/json.hpp>

#include "records.hpp"

using namespace spate::serde;
using serde_test::order;

namespace {

template <class T>
std::string to_json_text(const T& v) {
  std::string out;
  json<T>{}.serialize(v, out);
  return out;
}

template <class T>
std::string to_binary(const T& v) {
  std::string out;
  binary<T>{}.serialize(v, out);
  return out;
}

// JSON text -> value -> JSON text must be stable, and the value must be the
// one we started from (compared through its exact binary encoding).
template <class T>
T round_trip(const T& v) {
  const auto text = to_json_text(v);
  auto r = json<T>{}.deserialize(text);
  INFO(text);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  CHECK(to_json_text(*r) == text);
  CHECK(to_binary(*r) == to_binary(v));
  return *std::move(r);
}

template <class T>
std::string error_of(std::string_view text) {
  auto r = json<T>{}.deserialize(text);
  REQUIRE_FALSE(r.ok());
  return r.error().message();
}

}  // namespace

TEST_CASE("json: nested struct shape", "[serde][json]") {
  CHECK(to_json_text(serde_test::sample_order()) ==
        R"({"id":"o-1","timestamp":1700000000123,"direction":2,)"
        R"("buyer":{"id":42,"name":"Zoë"},)"
        R"("items":[{"sku":"apple","quantity":3,"price":0.5},{"sku":"","quantity":-1,"price":-0.0}],)"
        R"("discount":0.25,"flags":[-7,true],"extra":[120,1.5,[0,255]]})");
  round_trip(serde_test::sample_order());
  round_trip(legacy::point{3, -4});
}

TEMPLATE_TEST_CASE("json: integer extremes", "[serde][json]", std::int8_t, std::int16_t, std::int32_t, std::int64_t,
                   std::uint8_t, std::uint16_t, std::uint32_t, std::uint64_t, char, bool) {
  using L = std::numeric_limits<TestType>;
  for (TestType v : {L::min(), L::max(), TestType(0)}) CHECK(round_trip(v) == v);
}

TEST_CASE("json: doubles, including the ones JSON cannot spell", "[serde][json]") {
  using L = std::numeric_limits<double>;
  for (double v : {0.0, -0.0, 0.1, L::max(), L::lowest(), L::denorm_min(), L::min(), 1e300}) round_trip(v);
  CHECK(to_json_text(L::quiet_NaN()) == R"("NaN")");
  CHECK(to_json_text(L::infinity()) == R"("Infinity")");
  CHECK(to_json_text(-L::infinity()) == R"("-Infinity")");
  CHECK(std::isnan(*json<double>{}.deserialize(R"("NaN")")));
  CHECK(*json<double>{}.deserialize(R"("-Infinity")") == -L::infinity());
  CHECK(std::signbit(*json<double>{}.deserialize("-0.0")));
  CHECK(*json<float>{}.deserialize("1.5") == 1.5f);
  CHECK(*json<double>{}.deserialize("3") == 3.0);  // an integer is a fine double
  CHECK(round_trip(std::numeric_limits<float>::max()) == std::numeric_limits<float>::max());
}

TEST_CASE("json: strings, unicode, optionals, tuples", "[serde][json]") {
  CHECK(round_trip(std::string()) == "");
  CHECK(round_trip(std::string("Zoë \"quoted\" \\ \n 日本語 🎉")) == "Zoë \"quoted\" \\ \n 日本語 🎉");
  CHECK(*json<std::string>{}.deserialize(R"("\u00e9\ud83c\udf89")") == "é🎉");
  CHECK(round_trip(std::optional<int>{}) == std::nullopt);
  CHECK(to_json_text(std::vector<std::optional<int>>{1, std::nullopt}) == "[1,null]");
  CHECK(round_trip(std::tuple<int, std::pair<std::string, bool>>{1, {"a", false}}) ==
        std::tuple<int, std::pair<std::string, bool>>{1, {"a", false}});
  // Invalid UTF-8 cannot be JSON text: it is replaced, not thrown.
  CHECK(to_json_text(std::string("a\xff")) == "\"a\xEF\xBF\xBD\"");
}

TEST_CASE("json: optional fields may be missing or null, unknown keys are ignored", "[serde][json]") {
  auto r = json<serde_test::customer>{}.deserialize(R"({"id":1,"name":"n","email":null,"since":2019})");
  REQUIRE(r.ok());
  CHECK_FALSE(r->email.has_value());
  r = json<serde_test::customer>{}.deserialize(R"({"name":"n","id":1})");
  REQUIRE(r.ok());
  CHECK(r->id == 1);
  CHECK(to_json_text(*r) == R"({"id":1,"name":"n"})");
}

TEST_CASE("json: wrong types name the field and show the value", "[serde][json]") {
  using serde_test::customer;
  CHECK(error_of<customer>(R"({"id":"7","name":"n"})") ==
        R"(json<serde_test::customer>: field 'id': expected integer, got string "7")");
  CHECK(error_of<customer>(R"({"id":-1,"name":"n"})") ==
        "json<serde_test::customer>: field 'id': integer -1 out of range [0, 18446744073709551615]");
  CHECK(error_of<customer>(R"({"id":1.5,"name":"n"})") ==
        "json<serde_test::customer>: field 'id': expected integer, got number 1.5");
  CHECK(error_of<customer>(R"([1,"n"])") == R"(json<serde_test::customer>: expected object, got array [1,"n"])");
  CHECK(error_of<order>(R"({"id":"o","timestamp":1,"direction":1,"buyer":{"id":1,"name":"b"},)"
                        R"("items":[{"sku":"a","quantity":1,"price":1},{"sku":"b","quantity":1,"price":true}],)"
                        R"("flags":[1,true],"extra":[1,1,[]]})") ==
        "json<serde_test::order>: field 'items[1].price': expected number, got boolean true");
  CHECK(error_of<order>(R"({"id":"o","timestamp":1,"direction":1,"buyer":{"id":1,"name":"b"},"items":[],)"
                        R"("flags":[1,true],"extra":[1,1,[256]]})") ==
        "json<serde_test::order>: field 'extra[2][0]': integer 256 out of range [0, 255]");
  CHECK(error_of<order>(R"({"id":"o","timestamp":1,"direction":1,"buyer":{"id":1,"name":"b"},"items":[],)"
                        R"("flags":[1],"extra":[1,1,[]]})") ==
        "json<serde_test::order>: field 'flags': expected array of 2 elements, got array [1]");
  CHECK(error_of<std::int8_t>("128") == "json<signed char>: integer 128 out of range [-128, 127]");
  CHECK(error_of<bool>("1") == "json<bool>: expected boolean, got number 1");
  CHECK(error_of<float>("1e300") == "json<float>: number 1e+300 out of range for float");
  CHECK(error_of<double>(R"("nan")") == R"(json<double>: expected number, got string "nan")");
  // Long values are cut in the message.
  CHECK(error_of<int>(std::string("\"") + std::string(100, 'x') + "\"") ==
        R"(json<int>: expected integer, got string "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...)");
}

TEST_CASE("json: missing fields are named with their path", "[serde][json]") {
  CHECK(error_of<serde_test::customer>(R"({"id":1})") == "json<serde_test::customer>: field 'name': missing field");
  CHECK(error_of<order>(R"({"id":"o","timestamp":1,"direction":1,"buyer":{"id":1,"name":"b"},)"
                        R"("items":[{"sku":"a","quantity":1}],"flags":[1,true],"extra":[1,1,[]]})") ==
        "json<serde_test::order>: field 'items[0].price': missing field");
}

TEST_CASE("json: invalid JSON gives the byte", "[serde][json]") {
  auto r = json<serde_test::customer>{}.deserialize(R"({"id":1, "name": tru})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().offset == 20);  // the '}' that ended the literal
  CHECK(r.error().message() ==
        "json<serde_test::customer>: at byte 20: syntax error while parsing value - invalid literal; last read: "
        "'\"name\": tru}'");
  CHECK(error_of<int>("") ==
        "json<int>: at byte 0: syntax error while parsing value - unexpected end of input; expected '[', '{', or a "
        "literal");
  CHECK(error_of<int>("1 2").starts_with("json<int>: at byte 2: syntax error while parsing value - unexpected number literal"));
  CHECK(error_of<double>("1e400") == "json<double>: number overflow parsing '1e400'");
  CHECK(error_of<std::string>("\"\xff\"").starts_with("json<std::string>: at byte 1: syntax error"));
}

TEST_CASE("json: garbage never crashes", "[serde][json]") {
  std::mt19937 rng(99);
  const auto valid = to_json_text(serde_test::sample_order());
  constexpr std::string_view alphabet = "{}[]\":,0-9.eE tnf\\";
  for (int i = 0; i < 5000; ++i) {
    std::string text = valid;
    for (int k = 0, flips = 1 + static_cast<int>(rng() % 3); k < flips; ++k) {
      text[rng() % text.size()] = alphabet[rng() % alphabet.size()];
    }
    auto r = json<order>{}.deserialize(text);
    if (r) CHECK(to_json_text(*json<order>{}.deserialize(to_json_text(*r))) == to_json_text(*r));
  }
}
