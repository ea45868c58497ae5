#pragma once
// kafka::config: the librdkafka properties of a connection (bootstrap
// servers plus any property librdkafka knows), and the RAII handles the
// connectors build from it.
//
//   kafka::config cfg{"127.0.0.1:9092"};
//   cfg.set("linger.ms", "5").set("client.id", "orders");
//   cfg.timeout = std::chrono::seconds(10);  // for metadata, admin, start-up
//
// Unknown properties or bad values fail when a handle is created, with
// librdkafka's message.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "../../core/log.hpp"
#include "errors.hpp"

namespace spate::kafka {

struct config {
  std::string bootstrap;                       ///< bootstrap.servers, "host:port,..."
  std::map<std::string, std::string> props;    ///< any other librdkafka property
  /// How long start-up steps (metadata, offset look-ups, admin requests) may
  /// take before they fail with a clear error, e.g. when no broker answers.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};

  config() = default;
  explicit config(std::string bootstrap_servers) : bootstrap(std::move(bootstrap_servers)) {}

  config& set(std::string key, std::string value) & {
    props[std::move(key)] = std::move(value);
    return *this;
  }
  config&& set(std::string key, std::string value) && { return std::move(set(std::move(key), std::move(value))); }
  /// The value of a property, or `fallback`.
  std::string get(const std::string& key, std::string fallback = {}) const {
    if (key == "bootstrap.servers") return bootstrap;
    auto it = props.find(key);
    return it == props.end() ? fallback : it->second;
  }
  bool has(const std::string& key) const { return key == "bootstrap.servers" ? !bootstrap.empty() : props.count(key) != 0; }
  int timeout_ms() const { return static_cast<int>(timeout.count()); }

  /// A canonical text of every property: equal configs give equal keys
  /// (the shared-producer registry is keyed by it).
  std::string canonical() const {
    std::string s = "bootstrap.servers=" + bootstrap;
    for (auto& [k, v] : props) s += "\n" + k + "=" + v;
    return s;
  }
};

namespace detail {

struct handle_deleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
/// An rd_kafka_t. Consumers must be closed (rd_kafka_consumer_close) before
/// the handle goes: `consumer_handle` does it.
using handle = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

/// librdkafka's log lines (syslog levels) through spate's logger
/// (core/log.hpp) instead of its raw "%3|..." lines on stderr.
inline log_level log_level_of(int syslog_level, std::string_view message) {
  // Retried on its own at every exactly-once start while the broker sets
  // the transaction coordinator up: not a failure.
  // ("Failed to acquire transactional PID ...: retrying", the same for the
  // idempotence PID: the producer retries until the broker is ready.)
  if (message.find("Failed to acquire") != std::string_view::npos && message.find(" PID") != std::string_view::npos &&
      message.find("retrying") != std::string_view::npos)
    return log_level::debug;
  if (syslog_level <= 3) return log_level::error;
  if (syslog_level == 4) return log_level::warn;
  if (syslog_level <= 6) return log_level::info;
  return log_level::debug;
}
inline void log_callback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const std::string_view msg = message ? message : "";
  const log_level l = log_level_of(level, msg);
  if (!logger::global().enabled(l)) return;
  std::string text = rk ? std::string(rd_kafka_name(rk)) + " " : std::string();
  if (facility) text += std::string("[") + facility + "] ";
  text += msg;
  log(l, "kafka", text);
}

inline void conf_set(rd_kafka_conf_t* c, const std::string& k, const std::string& v, const char* who) {
  char err[512];
  if (rd_kafka_conf_set(c, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw kafka_error(std::string(who) + ": bad property " + k + "=" + v + ": " + err,
                      RD_KAFKA_RESP_ERR__INVALID_ARG);
}

/// A librdkafka conf from cfg plus `defaults` (used where cfg does not set
/// the key) and `forced` (always applied).
inline conf_ptr make_conf(const config& cfg, const std::map<std::string, std::string>& defaults,
                          const std::map<std::string, std::string>& forced, const char* who) {
  if (cfg.bootstrap.empty() && !cfg.props.count("bootstrap.servers") && !cfg.props.count("test.mock.num.brokers"))
    throw kafka_error(std::string(who) + ": no bootstrap servers configured", RD_KAFKA_RESP_ERR__INVALID_ARG);
  conf_ptr c(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(c.get(), &log_callback);
  if (!cfg.bootstrap.empty()) conf_set(c.get(), "bootstrap.servers", cfg.bootstrap, who);
  for (auto& [k, v] : defaults)
    if (!cfg.props.count(k) && !forced.count(k)) conf_set(c.get(), k, v, who);
  for (auto& [k, v] : cfg.props)
    if (!forced.count(k)) conf_set(c.get(), k, v, who);
  for (auto& [k, v] : forced) conf_set(c.get(), k, v, who);
  return c;
}

/// Creates a handle; takes the conf (librdkafka owns it on success).
inline handle make_handle(rd_kafka_type_t type, conf_ptr conf, const char* who) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) throw kafka_error(std::string(who) + ": cannot create a client: " + err, RD_KAFKA_RESP_ERR__INVALID_ARG);
  conf.release();
  return handle(rk);
}

struct metadata_deleter {
  void operator()(const rd_kafka_metadata_t* m) const noexcept { rd_kafka_metadata_destroy(m); }
};
using metadata_ptr = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;

/// Cluster metadata (all topics, or one). Unreachable brokers give a clear
/// error after cfg.timeout.
inline metadata_ptr fetch_metadata(rd_kafka_t* rk, const config& cfg, const char* who, const char* topic = nullptr) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = topic ? rd_kafka_topic_new(rk, topic, nullptr) : nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, topic ? 0 : 1, rkt, &md, cfg.timeout_ms());
  if (rkt) rd_kafka_topic_destroy(rkt);
  if (err) {
    std::string what = std::string(who) + ": cannot reach the Kafka cluster at '" + cfg.bootstrap + "' within " +
                       std::to_string(cfg.timeout.count()) + " ms (metadata request failed)";
    throw_error(what, err);
  }
  return metadata_ptr(md);
}

/// A warning of the connectors, where librdkafka's own go: a log line on
/// stderr in librdkafka's format and level (4, warning), e.g.
///   %4|1700000000.123|PATTERN|spate-kafka-source#consumer-1| kafka source: ...
/// left out when the config's `log_level` is below 4, as librdkafka's are.
inline void log_warning(rd_kafka_t* rk, const config& cfg, const char* facility, const std::string& message) {
  if (std::strtol(cfg.get("log_level", "6").c_str(), nullptr, 10) < 4) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::fprintf(stderr, "%%4|%lld.%03lld|%s|%s| %s\n", static_cast<long long>(now / 1000), static_cast<long long>(now % 1000),
               facility, rk ? rd_kafka_name(rk) : "", message.c_str());
  std::fflush(stderr);
}

/// The partition count of topic, or throws a clear error when it is missing.
inline int partition_count(rd_kafka_t* rk, const config& cfg, const std::string& topic, const char* who) {
  auto md = fetch_metadata(rk, cfg, who, topic.c_str());
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || (t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.partition_cnt == 0))
      throw kafka_error(std::string(who) + ": topic '" + topic + "' does not exist on '" + cfg.bootstrap + "'",
                        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    if (t.err) throw_error(std::string(who) + ": metadata of topic '" + topic + "'", t.err);
    return t.partition_cnt;
  }
  throw kafka_error(std::string(who) + ": topic '" + topic + "' does not exist on '" + cfg.bootstrap + "'",
                    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
}

}  // namespace detail
}  // namespace spate::kafka
