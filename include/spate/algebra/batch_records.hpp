#pragma once
// What foreach_batch and transform share: the records of the open
// micro-batch, kept until its batch end, and the rule that they run only
// where there are batches.
//
// Batches exist under a compacted environment: a micro_batch{interval}
// context, run_batch(job) (the bounded input is one batch) and
// run_batch(job, parallelism{P}). A context decides continuous or
// micro-batch at run time and builds both forms, so a stage cannot refuse
// the continuous one at compile time; it refuses it when it is built, at
// start, before any record is read: run(job) throws at once, a continuous
// context's await_termination() rethrows it. Both are a stage_error naming
// the stage and its position.
//
// Checkpoints: under micro-batch a barrier follows a batch end at every
// source shard (exec/source_loop.hpp), so at a barrier the buffer is empty.
// Only the whole input as one batch (run_batch with a parallelism, under
// checkpointing) puts barriers inside a batch; then the buffer is part of
// the snapshot when its records have a binary encoding, and a barrier that
// finds records it cannot encode is an error naming the stage (never a
// silently lost batch).
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "../core/stage_error.hpp"
#include "../core/time.hpp"
#include "../exec/owned.hpp"
#include "../state/snapshot.hpp"
#include "stage.hpp"

namespace spate::detail {

/// Throws, naming the stage, unless Env runs micro-batches.
template <class Env>
void require_batches(const stage_label& label) {
  if constexpr (Env::mode != emit_mode::compacted)
    throw stage_error(std::string(label.name), label.position,
                      "it runs once per micro-batch, and this executor has no batches: run the job under "
                      "spate::micro_batch{interval} or with run_batch(job), not with run(job) or "
                      "spate::continuous{}");
}

/// The records of the open batch (owned: a string_view from words() would
/// not outlive its line), the last batch seen, and their snapshot.
template <class T>
struct batch_records {
  using record_type = exec::owned_t<T>;
  std::vector<record_type> records;
  batch_info last{};     ///< the last batch end seen
  bool any = false;      ///< whether one was seen

  template <class R>
  void add(R&& r) {
    records.push_back(exec::to_owned(std::forward<R>(r)));
  }
  void seen(const batch_info& b) {
    last = b;
    any = true;
  }
  /// What the end of input closes when records arrived after the last batch
  /// end (a driver that ends without closing its batch): the next batch.
  batch_info after_last() const {
    return any ? batch_info{last.time, last.number + 1} : batch_info{last.time, 0};
  }

  using snapshot_type = std::tuple<std::vector<record_type>, std::int64_t, std::uint64_t, bool>;
  static constexpr bool encodable = serde::Encodable<snapshot_type>;
  void snapshot(std::string& out) const {
    snapshot_value(snapshot_type{records, to_millis(last.time), last.number, any}, out);
  }
  bool restore(std::string_view in) {
    auto s = restore_value<snapshot_type>(in);
    if (!s) return false;
    records = std::move(std::get<0>(*s));
    last = batch_info{from_millis(std::get<1>(*s)), std::get<2>(*s)};
    any = std::get<3>(*s);
    return true;
  }
  /// At a barrier, for records without an encoding: the buffer must be empty.
  void check_barrier(const stage_label& label) const {
    if (!records.empty())
      throw stage_error(std::string(label.name), label.position,
                        "a checkpoint barrier arrived inside a batch holding " + std::to_string(records.size()) +
                            " records, which have no binary encoding to be checkpointed (give the record type a "
                            "serde::codec or reflect it, or checkpoint a micro_batch{interval} context, whose "
                            "barriers come between batches)");
  }
};

}  // namespace spate::detail
