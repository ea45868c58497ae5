#pragma once
// Serves a running context's figures over HTTP, on an address the user
// chooses (nothing is served unless one is made):
//   GET /metrics        Prometheus text exposition (observe/prometheus.hpp)
//   GET /metrics.json   the same snapshot as JSON (observe/metrics_json.hpp)
//   GET /plan.json      ctx.explain(explain_format::json)
//   GET /plan.dot       ctx.explain(explain_format::dot)
//   GET /               the dashboard (observe/dashboard.hpp): one page, no CDN
//
//   spate::observe::http_exporter http{ctx, {.host = "127.0.0.1", .port = 9464}};
//
// It uses cpp-httplib (Debian: libcpp-httplib-dev; link its library, e.g.
// pkg-config cpp-httplib); include this header only where you serve metrics.
// The server runs on a thread of its own, stops with the exporter, and only
// reads the context (ctx.metrics(), ctx.explain()): it must not outlive it.
#include <httplib.h>

#include <sys/socket.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "../exec/context.hpp"
#include "dashboard.hpp"
#include "metrics_json.hpp"
#include "prometheus.hpp"

namespace spate::observe {

struct http_options {
  std::string host = "127.0.0.1";  ///< "0.0.0.0" to serve every interface
  int port = 9464;                 ///< 0: any free port (see http_exporter::port())
};

class http_exporter {
 public:
  http_exporter(const context& ctx, http_options o = {}) : ctx_(&ctx) {
    server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(prometheus_text(ctx_->metrics()), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_.Get("/metrics.json", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_json(ctx_->metrics()), "application/json");
    });
    server_.Get("/plan.json", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ctx_->explain(explain_format::json), "application/json");
    });
    server_.Get("/plan.dot", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ctx_->explain(explain_format::dot), "text/vnd.graphviz");
    });
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(dashboard_html), "text/html; charset=utf-8");
    });
    // Not httplib's SO_REUSEPORT: a second exporter on a taken port must fail,
    // not share it (scrapes would alternate between two jobs).
    server_.set_socket_options([](auto sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    port_ = o.port == 0 ? server_.bind_to_any_port(o.host.c_str()) : (server_.bind_to_port(o.host.c_str(), o.port) ? o.port : -1);
    if (port_ < 0)
      throw std::runtime_error("spate::observe::http_exporter: cannot listen on " + o.host + ":" + std::to_string(o.port));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Serving before the constructor returns (and stop() can reach it).
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_exporter(const http_exporter&) = delete;
  http_exporter& operator=(const http_exporter&) = delete;
  ~http_exporter() { stop(); }

  /// The port it listens on (the one chosen, or the free one found for 0).
  int port() const noexcept { return port_; }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  const context* ctx_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace spate::observe
