#pragma once
// spate's Kafka connectors (link spate::kafka, i.e. librdkafka):
//   kafka::config                  bootstrap servers and librdkafka properties
//   kafka::source / source_pattern the source (offsets tracked by spate, start
//                                  positions, bounded mode, discovery, rate,
//                                  event time, bad-record policies)
//   kafka::sink                    the sink (shared producer; none,
//                                  at_least_once, exactly_once)
//   kafka::admin                   topics, partitions, broker configs
// See docs/kafka.md. The parts the source and sink are made of (consumer,
// assignment, rate limit, watermarks, dead letters, commit points) come with
// source.hpp and sink.hpp.
#include "io/kafka/admin.hpp"
#include "io/kafka/config.hpp"
#include "io/kafka/errors.hpp"
#include "io/kafka/offsets.hpp"
#include "io/kafka/producer.hpp"
#include "io/kafka/record.hpp"
#include "io/kafka/sink.hpp"
#include "io/kafka/source.hpp"
