#pragma once
// SIGINT / SIGTERM as a graceful stop. The handler only bumps a counter (all
// a signal handler may safely do); context::await_termination() polls it and
// stops every context that asked for it. A second signal while a stop it
// caused is in progress ends the process at once, as users expect of a
// second Ctrl-C.
#include <atomic>
#include <csignal>
#include <cstdlib>

namespace spate::exec {

struct signal_state {
  std::atomic<unsigned> received{0};
  std::atomic<bool> stopping{false};
};
inline signal_state& signals() {
  static signal_state s;
  return s;
}

extern "C" inline void spate_stop_signal_handler(int sig) {
  if (signals().stopping.load()) std::_Exit(128 + sig);
  signals().received.fetch_add(1);
}

/// Installs the handler; returns the count of signals so far, to compare with.
inline unsigned install_stop_signals() {
  static_assert(std::atomic<unsigned>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);
  unsigned now = signals().received.load();  // also initialises the state before a handler runs
  struct sigaction sa {};
  sa.sa_handler = spate_stop_signal_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return now;
}

}  // namespace spate::exec
