#pragma once
// The plan of a job as a value: which threads run which stages and what joins
// them. An executor computes it once from the job's type and the parallelism;
// it can be printed (`context::explain()`), and the runner launches exactly
// the segments it lists. A segment of parallelism P that ends in the sink
// runs one sink instance per worker (no sink thread, no queue before it).
#include <cstddef>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace spate::exec {

struct plan {
  /// What feeds a segment and where its records go.
  enum class link : unsigned char {
    source,         ///< reads its shard of the source
    shuffle,        ///< records keyed and routed by a key_by, P to P
    sink_boundary,  ///< every worker's records to the one sink thread
    sink            ///< the user's sink, in the same thread: with parallelism
                    ///< P > 1 one instance per worker (a per_worker sink)
  };
  struct segment {
    link input = link::source;
    link output = link::sink;
    std::size_t parallelism = 1;
    /// Stage positions in the pipeline, 1-based as in error messages: the
    /// segment runs stages [first, last) (first == last: none but its output).
    std::size_t first = 1, last = 1;
    std::vector<std::string_view> stages;  ///< their names
    std::string_view output_name;          ///< the key_by routing the shuffle, or the sink
    /// Output shuffle only: the aggregation after the key_by is combined
    /// before the shuffle (one partial per key and batch; exec/shuffle.hpp's
    /// combining_shuffle_sink), so this segment also runs stage `last + 1`
    /// in its combining form, and the next segment's first stage merges the
    /// partials.
    bool combined = false;
    bool merges_partials = false;  ///< input shuffle only: see `combined`
  };

  /// What the plan knows about each stage of the pipeline (filled by the
  /// context from the job's type; empty in a plan made without it).
  struct stage_facts {
    std::size_t position = 0;  ///< 1-based, as in error messages
    std::string_view name;
    std::string uid;           ///< its identity in checkpoints (exec/job_runner.hpp)
    bool keeps_state = false;  ///< it holds state across records (a checkpoint stores it)
  };

  std::string_view source;
  std::string_view sink;
  std::vector<segment> segments;
  std::size_t job = 0;                 ///< the job's place in its context
  std::vector<stage_facts> stages{};   ///< by position: stages[k] is stage k + 1
  std::string source_uid{}, sink_uid{};
  bool sink_keeps_state = false;
  bool batched = false;                ///< micro-batch (compacted) or continuous

  /// The facts of stage `position` (1-based), or null when unknown.
  const stage_facts* stage(std::size_t position) const {
    return position >= 1 && position <= stages.size() ? &stages[position - 1] : nullptr;
  }

  std::size_t threads() const {
    std::size_t n = 0;
    for (const auto& s : segments) n += s.parallelism;
    return n;
  }

  friend std::ostream& operator<<(std::ostream& os, const plan& p) {
    os << "job: " << p.source << " -> " << p.sink << ", " << p.threads() << (p.threads() == 1 ? " thread\n" : " threads\n");
    for (std::size_t i = 0; i < p.segments.size(); ++i) {
      const auto& s = p.segments[i];
      os << "  segment " << i + 1 << " x" << s.parallelism << ": ";
      switch (s.input) {
        case link::source: os << p.source; break;
        case link::shuffle: os << "(shuffle)"; break;
        case link::sink_boundary: os << "(from " << p.segments[i - 1].parallelism << " workers)"; break;
        case link::sink: break;
      }
      for (std::size_t k = 0; k < s.stages.size(); ++k) {
        os << " | " << s.stages[k] << " #" << s.first + k;
        if (k == 0 && s.merges_partials) os << " (merges partials)";
      }
      switch (s.output) {
        case link::shuffle:
          os << " | " << s.output_name << " #" << s.last;
          if (s.combined) os << " => combine #" << s.last + 1;
          os << " => shuffle";
          break;
        case link::sink_boundary: os << " => sink thread"; break;
        case link::sink:
          os << " | " << s.output_name;
          if (s.parallelism > 1) os << " (one per worker)";
          break;
        case link::source: break;
      }
      os << '\n';
    }
    return os;
  }
  std::string to_string() const {
    std::ostringstream os;
    os << *this;
    return os.str();
  }
};

}  // namespace spate::exec
