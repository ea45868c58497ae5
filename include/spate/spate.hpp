#pragma once
// spate: a header-only C++20 stream-processing library. Include this header.
// The narrower headers (spate/algebra/..., spate/window.hpp, ...) each stand
// on their own, for translation units that want less to compile.
#include "algebra/aggregations.hpp"
#include "algebra/async_io.hpp"
#include "algebra/fan_out.hpp"
#include "algebra/filter.hpp"
#include "algebra/flat_map.hpp"
#include "algebra/field.hpp"
#include "algebra/fold.hpp"
#include "algebra/inspect.hpp"
#include "algebra/key_by.hpp"
#include "algebra/map.hpp"
#include "algebra/pipeline.hpp"
#include "algebra/reduce.hpp"
#include "algebra/take.hpp"
#include "algebra/transform.hpp"
#include "algebra/words.hpp"
#include "core/format.hpp"
#include "core/time.hpp"
#include "exec/run.hpp"
#include "io/collect.hpp"
#include "io/collection.hpp"
#include "io/for_each.hpp"
#include "io/foreach_batch.hpp"
#include "io/generate.hpp"
#include "io/merge.hpp"
#include "io/print.hpp"
#include "io/text_file.hpp"

// Serializers; event time, windows and keyed state; executors and the
// streaming context. Kafka is in <spate/kafka.hpp> (it links librdkafka).
#include "exec.hpp"
#include "join.hpp"
#include "serde.hpp"
#include "window.hpp"
