// libFuzzer target: json<order> decoding of arbitrary text.
// Properties: never crash; anything accepted re-encodes to JSON that decodes
// to the same value (compared exactly through the binary encoding, which
// also keeps NaN and -0.0 apart), and re-encoding is then stable.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <spate/serde/binary.hpp>
#include <spate/serde/json.hpp>

#include "../tests/serde/records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const spate::serde::json<serde_test::order> js;
  const spate::serde::binary<serde_test::order> bin;
  auto r = js.deserialize(in);
  if (!r) {
    if (r.error().message().empty()) std::abort();
    return 0;
  }
  std::string text;
  js.serialize(*r, text);
  auto r2 = js.deserialize(text);
  if (!r2) std::abort();
  std::string b1, b2, text2;
  bin.serialize(*r, b1);
  bin.serialize(*r2, b2);
  if (b1 != b2) std::abort();
  js.serialize(*r2, text2);
  if (text2 != text) std::abort();
  return 0;
}
