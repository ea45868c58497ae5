// spate::result / spate::error, and the reflection helpers others build on.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <spate/core/reflect.hpp>
#include <spate/core/result.hpp>

#include "records.hpp"

TEST_CASE("result: holds a value", "[serde][result]") {
  spate::result<std::string> r = std::string("abc");
  CHECK(r.ok());
  CHECK(static_cast<bool>(r));
  CHECK(r.value() == "abc");
  CHECK(*r == "abc");
  CHECK(r->size() == 3);
  CHECK_THROWS_AS(r.error(), std::logic_error);
  std::string moved = *std::move(r);
  CHECK(moved == "abc");
}

TEST_CASE("result: holds an error, value access throws it", "[serde][result]") {
  spate::result<int> r = spate::error("truncated input, needed 8 bytes, 3 left", 12, "price", "binary<Order>");
  CHECK_FALSE(r.ok());
  CHECK_FALSE(static_cast<bool>(r));
  CHECK(r.value_or(-1) == -1);
  CHECK(r.error().message() == "binary<Order>: at byte 12 (field 'price'): truncated input, needed 8 bytes, 3 left");
  try {
    (void)r.value();
    FAIL("value() must throw");
  } catch (const spate::error_exception& e) {
    CHECK(e.error().offset == 12);
    CHECK(std::string(e.what()) == r.error().message());
  }
  CHECK_THROWS_AS(*r, spate::error_exception);
}

TEST_CASE("error: message leaves out what is unknown", "[serde][result]") {
  CHECK(spate::error("boom").message() == "boom");
  CHECK(spate::error("boom", 3).message() == "at byte 3: boom");
  CHECK(spate::error("boom", spate::error::npos, "a.b").message() == "field 'a.b': boom");
  CHECK(spate::error("boom", spate::error::npos, "", "json<X>").message() == "json<X>: boom");
}

TEST_CASE("error: field paths grow outward", "[serde][result]") {
  spate::error e("bad");
  e.in_field("price").in_field("[2]").in_field("items").in_field("order");
  CHECK(e.field == "order.items[2].price");
}

TEST_CASE("reflect: field names, count, types, iteration", "[serde][reflect]") {
  using serde_test::item;
  STATIC_REQUIRE(spate::is_reflected_v<item>);
  STATIC_REQUIRE(spate::is_reflected_v<const legacy::point&>);
  STATIC_REQUIRE_FALSE(spate::is_reflected_v<int>);
  STATIC_REQUIRE_FALSE(spate::is_reflected_v<std::vector<int>>);
  STATIC_REQUIRE(spate::field_count_v<item> == 3);
  STATIC_REQUIRE(std::is_same_v<spate::field_types_t<item>, std::tuple<std::string, std::int32_t, double>>);
  STATIC_REQUIRE(spate::field_names<item>()[2] == "price");
  STATIC_REQUIRE(spate::field_name<&item::quantity>() == "quantity");
  STATIC_REQUIRE(spate::field_name<&legacy::point::y>() == "y");

  item it{"sku-1", 2, 9.5};
  std::vector<std::string> seen;
  spate::for_each_field(it, [&](std::string_view name, auto& value) {
    seen.emplace_back(name);
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, std::int32_t>) value = 5;
  });
  CHECK(seen == std::vector<std::string>{"sku", "quantity", "price"});
  CHECK(it.quantity == 5);
}

TEST_CASE("reflect: readable type names", "[serde][reflect]") {
  CHECK(spate::type_name<serde_test::item>() == "serde_test::item");
  CHECK(spate::readable_type_name<std::vector<std::string>>() == "std::vector<std::string>");
  CHECK(spate::readable_type_name<std::pair<std::string_view, int>>() == "std::pair<std::string_view, int>");
}
