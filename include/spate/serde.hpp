#pragma once
// Everything about turning records into bytes and back: the Serializer
// concept, the binary writer/reader and codecs, and the built-in serializers
// but JSON. serde::json<T> brings nlohmann-json, which doubles the compile
// time of a program that never reads JSON: include <spate/serde/json.hpp>
// where it is used.

#include <spate/core/reflect.hpp>
#include <spate/core/result.hpp>
#include <spate/serde/binary.hpp>
#include <spate/serde/codec.hpp>
#include <spate/serde/key_value.hpp>
#include <spate/serde/reader.hpp>
#include <spate/serde/serializer.hpp>
#include <spate/serde/string_schema.hpp>
#include <spate/serde/utf8.hpp>
#include <spate/serde/writer.hpp>
