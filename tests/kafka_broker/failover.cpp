// Broker restarts through scripts/kafka (stop-broker / start-broker), the way
// failure tests of the Kafka connectors will use them. With one broker: stop
// it, produce while it is down, restart it on the same port with its data,
// and nothing is lost. With three (SPATE_KAFKA_BROKERS=3): stop the partition
// leader, and acks=all with min.insync.replicas=2 still succeeds on the other
// two; then restart it. Either way the records come back complete and in order.
#include "kafka_test_env.hpp"

#include <catch2/catch.hpp>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace k = spate_test::kafka;

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

std::unique_ptr<RdKafka::Conf> make_conf() {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  REQUIRE(conf->set("bootstrap.servers", k::bootstrap(), err) == RdKafka::Conf::CONF_OK);
  return conf;
}

void set(RdKafka::Conf& c, const std::string& name, const std::string& value) {
  std::string err;
  INFO(name << ": " << err);
  REQUIRE(c.set(name, value, err) == RdKafka::Conf::CONF_OK);
}

int partition_leader(RdKafka::Handle& h, const std::string& topic) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(&h, topic, nullptr, err));
  REQUIRE(t);
  RdKafka::Metadata* md = nullptr;
  REQUIRE(h.metadata(false, t.get(), &md, 10000) == RdKafka::ERR_NO_ERROR);
  std::unique_ptr<RdKafka::Metadata> owned(md);
  REQUIRE(md->topics()->size() == 1u);
  return (*md->topics()->at(0)->partitions())[0]->leader();
}

void produce_range(RdKafka::Producer& p, const std::string& topic, int from, int to) {
  for (int i = from; i < to; ++i) {
    std::string v = "r-" + std::to_string(i);
    RdKafka::ErrorCode rc;
    while ((rc = p.produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, v.data(), v.size(), nullptr,
                           0, 0, nullptr)) == RdKafka::ERR__QUEUE_FULL)
      p.poll(10);
    REQUIRE(rc == RdKafka::ERR_NO_ERROR);
  }
}

}  // namespace

TEST_CASE("records survive a broker restart", "[kafka][broker][failover]") {
  const std::string servers = k::bootstrap();
  const int brokers = 1 + static_cast<int>(std::count(servers.begin(), servers.end(), ','));
  const int rf = std::min(brokers, 3);
  const std::string topic = k::unique_topic("failover");
  k::create_topic(servers, topic, 1, rf, {{"min.insync.replicas", rf > 1 ? "2" : "1"}});

  delivery_counter dr;
  auto conf = make_conf();
  set(*conf, "acks", "all");
  set(*conf, "enable.idempotence", "true");
  set(*conf, "message.timeout.ms", "90000");
  std::string err;
  REQUIRE(conf->set("dr_cb", &dr, err) == RdKafka::Conf::CONF_OK);
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
  REQUIRE(p);

  produce_range(*p, topic, 0, 100);
  REQUIRE(p->flush(30000) == RdKafka::ERR_NO_ERROR);
  REQUIRE(dr.ok == 100);

  const int victim = brokers == 1 ? 1 : partition_leader(*p, topic);
  REQUIRE(victim >= 1);
  REQUIRE(k::kafka_script("stop-broker " + std::to_string(victim)) == 0);
  produce_range(*p, topic, 100, 200);
  if (brokers > 1) {
    // Two of three replicas are in sync: acks=all succeeds without the stopped broker.
    REQUIRE(p->flush(60000) == RdKafka::ERR_NO_ERROR);
    INFO(dr.last_error);
    REQUIRE(dr.ok == 200);
    REQUIRE(k::kafka_script("start-broker " + std::to_string(victim)) == 0);
  } else {
    // The only broker is down: records wait in the producer until it is back.
    p->flush(1000);
    REQUIRE(dr.ok == 100);
    REQUIRE(k::kafka_script("start-broker 1") == 0);
    REQUIRE(p->flush(60000) == RdKafka::ERR_NO_ERROR);
  }
  INFO(dr.last_error);
  REQUIRE(dr.failed == 0);
  REQUIRE(dr.ok == 200);

  auto cconf = make_conf();
  set(*cconf, "group.id", k::unique_topic("failover-reader"));
  set(*cconf, "enable.auto.commit", "false");
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(cconf.get(), err));
  REQUIRE(c);
  std::vector<RdKafka::TopicPartition*> parts{
      RdKafka::TopicPartition::create(topic, 0, RdKafka::Topic::OFFSET_BEGINNING)};
  REQUIRE(c->assign(parts) == RdKafka::ERR_NO_ERROR);
  RdKafka::TopicPartition::destroy(parts);
  std::vector<std::string> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (got.size() < 200 && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(c->consume(200));
    if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) continue;
    INFO(m->errstr());
    REQUIRE(m->err() == RdKafka::ERR_NO_ERROR);
    got.emplace_back(static_cast<const char*>(m->payload()), m->len());
  }
  c->close();
  REQUIRE(got.size() == 200u);
  for (int i = 0; i < 200; ++i) REQUIRE(got[i] == "r-" + std::to_string(i));
}
