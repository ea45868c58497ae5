// libFuzzer target: binary<order> decoding of arbitrary bytes.
// Properties: never crash; the format is canonical, so anything accepted
// re-encodes to exactly the input and decodes again.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <spate/serde/binary.hpp>

#include "../tests/serde/records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const spate::serde::binary<serde_test::order> ser;
  auto r = ser.deserialize(in);
  if (!r) {
    if (r.error().offset > size || r.error().message().empty()) std::abort();
    return 0;
  }
  std::string again;
  ser.serialize(*r, again);
  if (again != in) std::abort();
  auto r2 = ser.deserialize(again);
  if (!r2) std::abort();
  std::string third;
  ser.serialize(*r2, third);
  if (third != again) std::abort();
  return 0;
}
