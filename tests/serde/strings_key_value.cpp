// string_schema, utf8_string_schema, key_value, and the Serializer concept.

#include <catch2/catch.hpp>

#include <string>

#include <spate/serde/binary.hpp>
#include <spate/serde/json.hpp>
#include <spate/serde/key_value.hpp>
#include <spate/serde/string_schema.hpp>

#include "records.hpp"

using namespace spate::serde;

TEST_CASE("every built-in serializer meets the concept", "[serde][concept]") {
  STATIC_REQUIRE(spate::SerializerOf<string_schema, std::string>);
  STATIC_REQUIRE(spate::SerializerOf<utf8_string_schema, std::string>);
  STATIC_REQUIRE(spate::SerializerOf<binary<serde_test::order>, serde_test::order>);
  STATIC_REQUIRE(spate::SerializerOf<json<serde_test::order>, serde_test::order>);
  STATIC_REQUIRE(spate::SerializerOf<key_value<string_schema, json<serde_test::item>>,
                                     std::pair<std::string, serde_test::item>>);
  STATIC_REQUIRE_FALSE(spate::Serializer<int>);
  STATIC_REQUIRE_FALSE(spate::SerializerOf<binary<int>, long>);
  STATIC_REQUIRE_FALSE(Encodable<wchar_t>);
  STATIC_REQUIRE_FALSE(Encodable<long double>);
  STATIC_REQUIRE_FALSE(Encodable<std::vector<int*>>);
}

TEST_CASE("view serializers: only those whose encoding is the record itself", "[serde][concept]") {
  STATIC_REQUIRE(spate::ViewSerializer<string_schema>);
  STATIC_REQUIRE(spate::ViewSerializer<utf8_string_schema>);
  STATIC_REQUIRE_FALSE(spate::ViewSerializer<binary<std::string>>);  // length-prefixed: not the bytes themselves
  STATIC_REQUIRE_FALSE(spate::ViewSerializer<json<serde_test::order>>);
  const std::string v("Zo\xc3\xab \0 end", 10);
  for (auto view : {string_schema{}.view(v), utf8_string_schema{}.view(v)}) {
    std::string out;
    string_schema{}.serialize(v, out);
    CHECK(view == out);
    CHECK(view.data() == v.data());  // no copy
  }
}

TEST_CASE("string_schema: the bytes are the string", "[serde][string]") {
  string_schema s;
  for (std::string v : {std::string(), std::string("plain"), std::string("Zoë 🎉"), std::string("\0\xff", 2)}) {
    std::string out = "x";
    s.serialize(v, out);
    CHECK(out == "x" + v);
    CHECK(*s.deserialize(v) == v);
  }
}

TEST_CASE("utf8_string_schema: rejects what is not UTF-8, with the byte", "[serde][string]") {
  utf8_string_schema s;
  CHECK(*s.deserialize("Zoë 日本語 🎉") == "Zoë 日本語 🎉");
  CHECK(*s.deserialize("") == "");
  CHECK(*s.deserialize("\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF");  // U+10FFFF, the last code point
  auto err = [&](std::string_view in) {
    auto r = s.deserialize(in);
    REQUIRE_FALSE(r.ok());
    return r.error().message();
  };
  CHECK(err("ab\xff") == "utf8_string_schema: at byte 2: invalid UTF-8: invalid byte 0xff");
  CHECK(err("a\x80") == "utf8_string_schema: at byte 1: invalid UTF-8: unexpected continuation byte 0x80");
  CHECK(err("ok\xE6\x97") == "utf8_string_schema: at byte 2: invalid UTF-8: truncated 3-byte sequence");
  CHECK(err("\xC3(") ==
        "utf8_string_schema: at byte 0: invalid UTF-8: byte 0x28 at position 2 of a 2-byte sequence is not a "
        "continuation byte");
  CHECK(err("\xC0\xAF") == "utf8_string_schema: at byte 0: invalid UTF-8: overlong encoding of U+002F");
  CHECK(err("\xED\xA0\x80") == "utf8_string_schema: at byte 0: invalid UTF-8: encoded surrogate (U+D800..U+DFFF)");
  CHECK(err("\xF4\x90\x80\x80") == "utf8_string_schema: at byte 0: invalid UTF-8: code point above U+10FFFF");
}

TEST_CASE("key_value: Kafka's two buffers", "[serde][key_value]") {
  key_value<string_schema, binary<serde_test::item>> kv;
  std::string key, value;
  kv.serialize_key("k1", key);
  kv.serialize_value(serde_test::item{"a", 1, 2.0}, value);
  CHECK(key == "k1");
  auto r = kv.deserialize(key, value);
  REQUIRE(r.ok());
  CHECK(r->first == "k1");
  CHECK(r->second.sku == "a");

  auto bad = kv.deserialize(key, std::string_view(value).substr(0, value.size() - 1));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() ==
        "binary<serde_test::item>: at byte 8 (field 'value.price'): truncated input, needed 8 bytes, 7 left");
}

TEST_CASE("key_value: one framed buffer round-trips", "[serde][key_value]") {
  key_value<binary<std::int64_t>, json<legacy::point>> kv;
  std::string out;
  kv.serialize({-3, {1, 2}}, out);
  CHECK(out == std::string("\x0A\xB5\x01\xFD\xFF\xFF\xFF\xFF\xFF\xFF\xFF{\"x\":1,\"y\":2}", 24));
  auto r = kv.deserialize(out);
  REQUIRE(r.ok());
  CHECK(r->first == -3);
  CHECK(r->second == legacy::point{1, 2});

  // Every truncation is an error, never a shorter record.
  for (std::size_t n = 0; n < out.size(); ++n) CHECK_FALSE(kv.deserialize(std::string_view(out).substr(0, n)).ok());

  auto e = kv.deserialize(std::string("\x0A\xB5\x01\xFD\xFF\xFF\xFF\xFF\xFF\xFF\xFF{\"x\":1}", 18)).error();
  CHECK(e.message() == "json<legacy::point>: field 'value.y': missing field");
  e = kv.deserialize(std::string("\x0A\xB5\x02\xFD\xFF\xFF\xFF\xFF\xFF\xFF\xFF{}", 13)).error();
  CHECK(e.message() == "binary<long>: at byte 2 (field 'key'): unsupported format version 2 (this build reads version 1)");
  e = kv.deserialize(std::string("\x20\xB5", 2)).error();
  CHECK(e.message() == "key_value: at byte 0 (field 'key'): length prefix 32 exceeds the 1 bytes left");
  e = kv.deserialize(std::string("\x0A\xB5\x01\xFD\xFF\xFF\xFF\xFF\xFF\xFF\xFF{\"x\":1,", 18)).error();
  CHECK(e.offset == 18);
  CHECK(e.field == "value");
}
