#pragma once
// A job's plan (exec/plan.hpp) for people and tools: text (Spark's
// toDebugString), Graphviz DOT, and JSON (Flink's execution-plan JSON). Each
// says, for every segment, which stages run fused on its threads, which of
// them keep state, and where and why the fused loop ends.
//   spate::explain(job, spate::explain_format::dot, spate::parallelism{4})
//   ctx.explain(spate::explain_format::json)
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../core/json_text.hpp"
#include "plan.hpp"

namespace spate {

enum class explain_format { text, dot, json };

namespace exec {

inline std::string_view link_name(plan::link l) {
  switch (l) {
    case plan::link::source: return "source";
    case plan::link::shuffle: return "shuffle";
    case plan::link::sink_boundary: return "sink_boundary";
    case plan::link::sink: return "sink";
  }
  return "?";
}

/// A segment of a fan_out's keyed branch (job_runner's add_branch_segments):
/// its first stage name is the branch's, and its positions count within the
/// branch, not the job.
inline bool branch_segment(const plan::segment& s) { return s.stages.size() != s.last - s.first; }

/// Why segment i's fused loop ends where it does.
inline std::string fusion_end(const plan& p, std::size_t i) {
  const auto& s = p.segments[i];
  const std::string P = std::to_string(s.parallelism);
  switch (s.output) {
    case plan::link::shuffle: {
      std::string why = std::string(s.output_name) + " #" + std::to_string(s.last) +
                        " repartitions by key: each record moves to the worker that owns its key group (" + P + " x " +
                        P + " queues)";
      if (s.combined)
        why += "; the aggregation #" + std::to_string(s.last + 1) +
               (p.batched ? " is combined per key and batch before it"
                          : " is combined per key before it (sent at least once per chunk of source work)");
      return why;
    }
    case plan::link::sink_boundary:
      return std::string(p.sink) + " runs once, on a thread of its own (it has no instance per worker): " + P +
             (s.parallelism == 1 ? " worker" : " workers") + " to 1 queue";
    case plan::link::sink:
      if (s.input == plan::link::sink_boundary) return "the sink thread: ends the job";
      if (p.segments.size() == 1 && s.parallelism == 1) return "no boundary: source to sink is one fused loop";
      if (s.parallelism > 1 && i == 0) return "no boundary: " + P + " fused loops, source to sink, one sink instance each";
      return "no boundary: the sink runs one instance per worker, in the worker's thread";
    case plan::link::source: break;
  }
  return {};
}

/// The stages of segment i that keep state, by position (the output's key_by
/// with a combined aggregation runs that aggregation's combining form too).
inline std::vector<std::size_t> stateful_positions(const plan& p, std::size_t i) {
  const auto& s = p.segments[i];
  std::vector<std::size_t> out;
  if (branch_segment(s)) return out;  // its positions are not the job's
  for (std::size_t pos = s.first; pos < s.last; ++pos)
    if (const auto* f = p.stage(pos); f && f->keeps_state) out.push_back(pos);
  if (s.combined)
    if (const auto* f = p.stage(s.last + 1); f && f->keeps_state) out.push_back(s.last + 1);
  return out;
}

inline std::string explain_text(const std::vector<plan>& plans) {
  std::string out;
  for (const auto& p : plans) {
    const std::string head = p.to_string();  // the concise form, one line per segment
    std::size_t line_start = 0, seg = 0;
    for (std::size_t nl = head.find('\n'); nl != std::string::npos; nl = head.find('\n', line_start)) {
      out.append(head, line_start, nl + 1 - line_start);
      const bool is_segment = line_start > 0;
      line_start = nl + 1;
      if (!is_segment || seg >= p.segments.size()) continue;
      const auto state = stateful_positions(p, seg);
      const auto& s = p.segments[seg];
      if (!state.empty()) {
        out += "      keeps state:";
        for (std::size_t k = 0; k < state.size(); ++k) {
          const auto* f = p.stage(state[k]);
          out += (k ? ", " : " ") + std::string(f->name) + " #" + std::to_string(state[k]);
          if (!f->uid.empty()) out += " (uid " + f->uid + ")";
        }
        out += '\n';
      }
      if (s.output == plan::link::sink && p.sink_keeps_state) out += "      keeps state: the sink " + std::string(p.sink) + '\n';
      out += "      fusion ends: " + fusion_end(p, seg) + '\n';
      ++seg;
    }
  }
  return out;
}

namespace detail {
inline std::string dot_id(std::size_t job, std::size_t seg, std::size_t k) {
  return "\"j" + std::to_string(job) + "s" + std::to_string(seg) + "n" + std::to_string(k) + "\"";
}
inline std::string dot_label(std::string_view s) {
  std::string q = json_text::quote(s);  // DOT strings escape as JSON's do, for these characters
  return q;
}
}  // namespace detail

/// Graphviz: one cluster per segment (its threads), a node per stage, solid
/// edges inside a fused loop, dashed edges across boundaries.
inline std::string explain_dot(const std::vector<plan>& plans) {
  std::string out = "digraph spate {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  for (const auto& p : plans) {
    const std::size_t j = p.job;
    out += "  subgraph \"cluster_job" + std::to_string(j) + "\" {\n    label=" +
           detail::dot_label("job " + std::to_string(j) + ": " + std::string(p.source) + " -> " + std::string(p.sink) +
                             ", " + std::to_string(p.threads()) + " threads") +
           ";\n";
    std::vector<std::string> first_node(p.segments.size()), last_node(p.segments.size());
    for (std::size_t i = 0; i < p.segments.size(); ++i) {
      const auto& s = p.segments[i];
      out += "    subgraph \"cluster_j" + std::to_string(j) + "_seg" + std::to_string(i + 1) + "\" {\n      label=" +
             detail::dot_label("segment " + std::to_string(i + 1) + " x" + std::to_string(s.parallelism)) +
             "; style=rounded;\n";
      std::vector<std::pair<std::string, std::string>> nodes;  // id, label
      std::size_t n = 0;
      auto node = [&](std::string label, bool state) {
        const std::string id = detail::dot_id(j, i + 1, n++);
        out += "      " + id + " [label=" + detail::dot_label(label) + (state ? ", style=filled, fillcolor=\"#fde7b0\"" : "") + "];\n";
        nodes.emplace_back(id, label);
      };
      if (s.input == plan::link::source) node(std::string(p.source), false);
      const bool branch = branch_segment(s);
      for (std::size_t k = 0; k < s.stages.size(); ++k) {
        const std::size_t pos = s.first + k - (branch ? 1 : 0);
        const auto* f = branch ? nullptr : p.stage(pos);
        std::string label = branch && k == 0 ? "branch " + std::string(s.stages[k])
                                             : std::string(s.stages[k]) + " #" + std::to_string(pos);
        if (k == 0 && s.merges_partials) label += " (merges partials)";
        if (f && f->keeps_state) label += "\nkeeps state";
        node(std::move(label), f && f->keeps_state);
      }
      if (s.output == plan::link::shuffle) {
        node(std::string(s.output_name) + " #" + std::to_string(s.last), false);
        if (s.combined) {
          const auto* f = p.stage(s.last + 1);
          node("combine #" + std::to_string(s.last + 1), f && f->keeps_state);
        }
      } else if (s.output == plan::link::sink) {
        node(std::string(p.sink) + (s.parallelism > 1 ? " (one per worker)" : ""), p.sink_keeps_state);
      }
      for (std::size_t k = 1; k < nodes.size(); ++k) out += "      " + nodes[k - 1].first + " -> " + nodes[k].first + ";\n";
      if (!nodes.empty()) {
        first_node[i] = nodes.front().first;
        last_node[i] = nodes.back().first;
      }
      out += "    }\n";
    }
    for (std::size_t i = 0; i + 1 < p.segments.size(); ++i) {
      if (last_node[i].empty() || first_node[i + 1].empty()) continue;
      const auto& s = p.segments[i];
      if (s.output != plan::link::shuffle && s.output != plan::link::sink_boundary) continue;
      const std::string what = s.output == plan::link::shuffle ? "shuffle by key group" : "to the sink thread";
      out += "    " + last_node[i] + " -> " + first_node[i + 1] + " [style=dashed, label=" + detail::dot_label(what) + "];\n";
    }
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

/// JSON: {"jobs": [{"job", "source", "sink", "mode", "threads", "stages",
/// "segments", "boundaries"}]}; see docs/observability.md.
inline std::string explain_json(const std::vector<plan>& plans) {
  using namespace json_text;
  std::string out = "{\"jobs\":[";
  for (std::size_t pi = 0; pi < plans.size(); ++pi) {
    const auto& p = plans[pi];
    if (pi) out += ',';
    out += "{\"job\":" + std::to_string(p.job) + ",\"mode\":" + quote(p.batched ? "micro_batch" : "continuous") +
           ",\"threads\":" + std::to_string(p.threads());
    out += ",\"source\":{\"name\":" + quote(p.source) + ",\"uid\":" + quote(p.source_uid) + "}";
    out += ",\"sink\":{\"name\":" + quote(p.sink) + ",\"uid\":" + quote(p.sink_uid) +
           ",\"keeps_state\":" + boolean(p.sink_keeps_state) + "}";
    // Which segment runs each stage (a key_by routes in the segment before its shuffle).
    std::vector<std::size_t> segment_of(p.stages.size() + 1, 0);
    for (std::size_t i = 0; i < p.segments.size(); ++i) {
      const auto& s = p.segments[i];
      if (branch_segment(s)) continue;
      for (std::size_t pos = s.first; pos < s.last && pos < segment_of.size(); ++pos) segment_of[pos] = i + 1;
      if (s.output == plan::link::shuffle && s.last < segment_of.size()) segment_of[s.last] = i + 1;
    }
    out += ",\"stages\":[";
    for (std::size_t k = 0; k < p.stages.size(); ++k) {
      const auto& f = p.stages[k];
      if (k) out += ',';
      out += "{\"position\":" + std::to_string(f.position) + ",\"name\":" + quote(f.name) + ",\"uid\":" + quote(f.uid) +
             ",\"keeps_state\":" + boolean(f.keeps_state) + ",\"segment\":" + std::to_string(segment_of[f.position]) + "}";
    }
    out += "],\"segments\":[";
    for (std::size_t i = 0; i < p.segments.size(); ++i) {
      const auto& s = p.segments[i];
      if (i) out += ',';
      out += "{\"id\":" + std::to_string(i + 1) + ",\"parallelism\":" + std::to_string(s.parallelism) +
             ",\"input\":" + quote(link_name(s.input)) + ",\"output\":" + quote(link_name(s.output)) +
             ",\"output_name\":" + quote(s.output_name) + ",\"first\":" + std::to_string(s.first) +
             ",\"last\":" + std::to_string(s.last) + ",\"branch\":" + boolean(branch_segment(s)) + ",\"stages\":[";
      // A branch's segment: its first name is the branch's, positions within the branch.
      const std::size_t shift = branch_segment(s) ? 1 : 0;
      for (std::size_t k = 0; k < s.stages.size(); ++k)
        out += (k ? "," : "") + std::string("{\"position\":") + (k < shift ? std::string("null") : std::to_string(s.first + k - shift)) +
               ",\"name\":" + quote(s.stages[k]) + "}";
      out += "],\"keeps_state\":[";
      const auto state = stateful_positions(p, i);
      for (std::size_t k = 0; k < state.size(); ++k) out += (k ? "," : "") + std::to_string(state[k]);
      out += "],\"combined\":" + boolean(s.combined) + ",\"merges_partials\":" + boolean(s.merges_partials) +
             ",\"fusion_ends\":" + quote(fusion_end(p, i)) + "}";
    }
    out += "],\"boundaries\":[";
    bool first = true;
    for (std::size_t i = 0; i + 1 < p.segments.size(); ++i) {
      const auto& s = p.segments[i];
      if (s.output != plan::link::shuffle && s.output != plan::link::sink_boundary) continue;
      const std::size_t to_par = p.segments[i + 1].parallelism;
      if (!first) out += ',';
      first = false;
      out += "{\"from\":" + std::to_string(i + 1) + ",\"to\":" + std::to_string(i + 2) +
             ",\"kind\":" + quote(link_name(s.output)) + ",\"queues\":" + std::to_string(s.parallelism * to_par);
      if (s.output == plan::link::shuffle)
        out += ",\"key_by\":" + std::to_string(s.last) + ",\"partitioning\":\"key_group\"";
      out += "}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

inline std::string explain(const std::vector<plan>& plans, explain_format f) {
  switch (f) {
    case explain_format::dot: return explain_dot(plans);
    case explain_format::json: return explain_json(plans);
    case explain_format::text: break;
  }
  return explain_text(plans);
}

}  // namespace exec
}  // namespace spate
