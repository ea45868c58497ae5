// The real broker the kafka fixture starts (scripts/kafka) does what spate's
// Kafka connectors and their tests rely on: topics made by the admin API,
// ordered produce/consume, and transactions whose aborted records a
// read_committed reader never sees (librdkafka's mock cluster cannot do that).
#include "kafka_test_env.hpp"

#include <catch2/catch.hpp>
#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace k = spate_test::kafka;

std::unique_ptr<RdKafka::Conf> make_conf(
    std::initializer_list<std::pair<std::string, std::string>> settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  REQUIRE(conf->set("bootstrap.servers", k::bootstrap(), err) == RdKafka::Conf::CONF_OK);
  for (const auto& [name, value] : settings) {
    INFO(name << "=" << value << ": " << err);
    REQUIRE(conf->set(name, value, err) == RdKafka::Conf::CONF_OK);
  }
  return conf;
}

struct delivery_counter : RdKafka::DeliveryReportCb {
  int ok = 0;
  int failed = 0;
  std::string last_error;
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() == RdKafka::ERR_NO_ERROR) {
      ++ok;
    } else {
      ++failed;
      last_error = m.errstr();
    }
  }
};

std::unique_ptr<RdKafka::Producer> make_producer(
    delivery_counter& dr, std::initializer_list<std::pair<std::string, std::string>> settings) {
  auto conf = make_conf(settings);
  std::string err;
  REQUIRE(conf->set("dr_cb", &dr, err) == RdKafka::Conf::CONF_OK);
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
  INFO(err);
  REQUIRE(p);
  return p;
}

void produce(RdKafka::Producer& p, const std::string& topic, const std::string& value) {
  const std::string key = "k";
  for (;;) {
    const auto rc = p.produce(topic, 0, RdKafka::Producer::RK_MSG_COPY,
                              const_cast<char*>(value.data()), value.size(), key.data(),
                              key.size(), 0, nullptr);
    if (rc != RdKafka::ERR__QUEUE_FULL) {
      INFO(RdKafka::err2str(rc));
      REQUIRE(rc == RdKafka::ERR_NO_ERROR);
      return;
    }
    p.poll(10);
  }
}

void require_ok(RdKafka::Error* e, const char* what) {
  std::unique_ptr<RdKafka::Error> owned(e);
  INFO(what << ": " << (e ? e->str() : std::string("ok")));
  REQUIRE(e == nullptr);
}

// Reads partition 0 of `topic` from the beginning until `want` records came or
// `timeout` passed; returns the values in the order received, with offsets.
struct record {
  std::string value;
  int64_t offset;
};
std::vector<record> read_all(const std::string& topic, std::size_t want,
                             const std::string& isolation,
                             std::chrono::seconds timeout = 30s) {
  auto conf = make_conf({{"group.id", k::unique_topic("smoke-reader")},
                         {"enable.auto.commit", "false"},
                         {"enable.partition.eof", "false"},
                         {"isolation.level", isolation}});
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  INFO(err);
  REQUIRE(c);
  std::vector<RdKafka::TopicPartition*> parts{
      RdKafka::TopicPartition::create(topic, 0, RdKafka::Topic::OFFSET_BEGINNING)};
  REQUIRE(c->assign(parts) == RdKafka::ERR_NO_ERROR);
  RdKafka::TopicPartition::destroy(parts);
  std::vector<record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(c->consume(200));
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    INFO(m->errstr());
    REQUIRE(m->err() == RdKafka::ERR_NO_ERROR);
    out.push_back({std::string(static_cast<const char*>(m->payload()), m->len()), m->offset()});
  }
  c->close();
  return out;
}

}  // namespace

TEST_CASE("the broker takes 1000 records and gives them back in order", "[kafka][broker]") {
  const std::string topic = k::unique_topic("smoke-order");
  k::create_topic(k::bootstrap(), topic, 1);

  delivery_counter dr;
  auto p = make_producer(dr, {{"acks", "all"}, {"enable.idempotence", "true"}, {"linger.ms", "5"}});
  constexpr int n = 1000;
  for (int i = 0; i < n; ++i) produce(*p, topic, "record-" + std::to_string(i));
  REQUIRE(p->flush(30000) == RdKafka::ERR_NO_ERROR);
  INFO(dr.last_error);
  REQUIRE(dr.failed == 0);
  REQUIRE(dr.ok == n);

  const auto got = read_all(topic, n, "read_uncommitted");
  REQUIRE(got.size() == static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    INFO("index " << i);
    REQUIRE(got[i].value == "record-" + std::to_string(i));
    REQUIRE(got[i].offset == i);
  }
}

TEST_CASE("a missing topic is an error, not auto-created", "[kafka][broker]") {
  const std::string topic = k::unique_topic("smoke-missing");
  delivery_counter dr;
  auto p = make_producer(dr, {{"message.timeout.ms", "2000"}});
  produce(*p, topic, "x");
  p->flush(10000);
  REQUIRE(dr.ok == 0);
  REQUIRE(dr.failed == 1);
}

TEST_CASE("aborted transactions are invisible to read_committed readers", "[kafka][broker][txn]") {
  const std::string topic = k::unique_topic("smoke-txn");
  k::create_topic(k::bootstrap(), topic, 1);

  delivery_counter dr;
  auto p = make_producer(dr, {{"transactional.id", k::unique_topic("smoke-txn-id")},
                              {"transaction.timeout.ms", "60000"}});
  require_ok(p->init_transactions(30000), "init_transactions");

  require_ok(p->begin_transaction(), "begin_transaction (to abort)");
  for (int i = 0; i < 10; ++i) produce(*p, topic, "aborted-" + std::to_string(i));
  REQUIRE(p->flush(30000) == RdKafka::ERR_NO_ERROR);
  require_ok(p->abort_transaction(30000), "abort_transaction");

  require_ok(p->begin_transaction(), "begin_transaction (to commit)");
  for (int i = 0; i < 5; ++i) produce(*p, topic, "committed-" + std::to_string(i));
  require_ok(p->commit_transaction(30000), "commit_transaction");
  INFO(dr.last_error);
  REQUIRE(dr.ok == 15);

  SECTION("read_committed sees only the committed records") {
    const auto got = read_all(topic, 5, "read_committed");
    REQUIRE(got.size() == 5u);
    for (int i = 0; i < 5; ++i) REQUIRE(got[i].value == "committed-" + std::to_string(i));
    // Offsets 0..9 held the aborted records and 10 the abort marker.
    REQUIRE(got.front().offset > 10);
  }
  SECTION("read_uncommitted sees the aborted records too (they were written)") {
    const auto got = read_all(topic, 15, "read_uncommitted");
    REQUIRE(got.size() == 15u);
    REQUIRE(got.front().value == "aborted-0");
    REQUIRE(got.back().value == "committed-4");
  }
}
