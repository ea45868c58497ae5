// The HTTP exporter: a real GET with httplib's client against a running
// context on a loopback port chosen by the system: Prometheus text, JSON,
// the plan and the dashboard page.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <spate/observe/http_exporter.hpp>
#include <spate/spate.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "eventually.hpp"

using namespace std::chrono_literals;

using spate_test::eventually;

TEST_CASE("http exporter: Prometheus text, JSON, the plan and the dashboard over a real GET") {
  spate::context ctx{spate::continuous{}, spate::parallelism{2}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) |
          spate::filter([](std::uint64_t i) { return i % 3 == 0; }) |
          spate::key_by([](std::uint64_t i) { return i % 5; }) | spate::count() | spate::for_each([](const auto&) {}));
  // [doc:http]
  // Off unless made; loopback here, port 0: a free one (http.port() says which).
  spate::observe::http_exporter http{ctx, {.host = "127.0.0.1", .port = 0}};
  ctx.start();
  // [end]
  REQUIRE(http.port() > 0);

  httplib::Client client("127.0.0.1", http.port());
  client.set_read_timeout(30, 0);
  // Counting reaches the endpoint while the job runs.
  std::string text;
  CHECK(eventually([&] {
    auto res = client.Get("/metrics");
    if (!res || res->status != 200) return false;
    text = res->body;
    // Both workers' filters have reported (a loaded machine may start the
    // second one late: the gauge counts instances that reported).
    if (text.find("spate_stage_instances{job=\"0\",position=\"1\",stage=\"filter\",uid=\"j0.1:filter\"} 2") ==
        std::string::npos)
      return false;
    const auto at = text.find("spate_stage_records_in_total{job=\"0\",position=\"2\",stage=\"key_by\"");
    if (at == std::string::npos) return false;
    const auto value = text.substr(text.find(' ', text.find('}', at)) + 1);
    return std::stoull(value) > 1000;
  }));
  CHECK(text.find("# TYPE spate_stage_records_in_total counter") != std::string::npos);
  CHECK(text.find("spate_stage_instances{job=\"0\",position=\"1\",stage=\"filter\",uid=\"j0.1:filter\"} 2") != std::string::npos);
  CHECK(text.find("spate_stage_keeps_state{job=\"0\",position=\"3\",stage=\"fold\",uid=\"j0.3:fold\"} 1") != std::string::npos);
  CHECK(text.find("spate_checkpoints_completed_total 0") != std::string::npos);
  {
    auto res = client.Get("/metrics");
    REQUIRE(res);
    CHECK(res->get_header_value("Content-Type").find("text/plain") == 0);
  }

  // Ended, the counts are final: a running job's stages publish theirs one
  // after the other, so a reading may catch the next stage's newer count.
  ctx.stop();
  auto js = client.Get("/metrics.json");
  REQUIRE(js);
  CHECK(js->status == 200);
  const auto m = nlohmann::json::parse(js->body);
  REQUIRE(m["stages"].size() == 5);  // source, filter, key_by, fold, sink
  CHECK(m["stages"][1]["name"] == "filter");
  CHECK(m["stages"][1]["records_in"].get<std::uint64_t>() >= m["stages"][1]["records_out"].get<std::uint64_t>());

  auto plan = client.Get("/plan.json");
  REQUIRE(plan);
  const auto p = nlohmann::json::parse(plan->body);
  CHECK(p["jobs"][0]["segments"].size() == 3);

  auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body.find("<title>spate</title>") != std::string::npos);
  CHECK(page->body.find("http://") == page->body.find("http://www.w3.org/2000/svg"));  // no CDN

  http.stop();
}

TEST_CASE("http exporter: an address in use is an error naming it") {
  spate::context ctx;
  spate::observe::http_exporter first{ctx, {.host = "127.0.0.1", .port = 0}};
  CHECK_THROWS_WITH((spate::observe::http_exporter{ctx, {.host = "127.0.0.1", .port = first.port()}}),
                    Catch::Matchers::Contains("cannot listen on 127.0.0.1:" + std::to_string(first.port())));
}
