#pragma once
// The dashboard: one self-contained HTML page (no CDN, no build step), served
// at "/" by observe/http_exporter.hpp. It reads /plan.json once and
// /metrics.json every second, and shows the plan as a graph (segments as
// columns of fused stages, dashed boundaries between them), each stage's
// rate, records and watermark lag, the Kafka partitions' lag (a table and
// its sum over time), and the micro-batch and checkpoint history as small
// plots. Stage boxes carry data-* attributes (name,
// records_in, rate) that the browser test reads.
#include <string_view>

namespace spate::observe {

inline constexpr std::string_view dashboard_html = R"spate(<!doctype html>
<html><head><meta charset="utf-8"><title>spate</title>
<style>
body{font:14px system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}
h1{font-size:18px;margin:0 0 8px} h2{font-size:15px;margin:18px 0 6px}
.job{display:flex;gap:8px;align-items:stretch;margin:8px 0}
.seg{border:1px solid #999;border-radius:8px;padding:6px;background:#fff;min-width:140px}
.seg .title{font-size:12px;color:#555;margin-bottom:4px}
.stage{border:1px solid #4a7;border-radius:4px;padding:4px 6px;margin:4px 0;background:#eef8f0}
.stage.state{border-color:#c90;background:#fdf3d7}
.stage .rate{font-family:monospace;font-size:12px}
.boundary{align-self:center;color:#777;font-size:12px;border-top:2px dashed #777;padding-top:2px;min-width:70px;text-align:center}
svg{background:#fff;border:1px solid #ccc}
.muted{color:#777;font-size:12px}
table{border-collapse:collapse} td,th{padding:2px 8px;text-align:right;font-family:monospace;font-size:12px}
</style></head><body>
<h1>spate <span id="status" class="muted">loading…</span></h1>
<div id="plan"></div>
<h2>Micro-batches <span class="muted">work time (Spark's processing time), records and source blocked time per batch</span></h2>
<svg id="batches" width="600" height="90"></svg>
<div id="kafka" style="display:none"><h2>Kafka partitions <span class="muted">records behind the high watermark, summed over partitions, over time</span></h2>
<svg id="kafka_lag" width="600" height="60"></svg><table id="partitions"></table></div>
<h2>Checkpoints <span class="muted">duration (ms), size (bytes) and alignment time (ms)</span></h2>
<svg id="checkpoints" width="600" height="90"></svg>
<div id="checkpoint_last" class="muted"></div>
<h2>Counters</h2><table id="counters"></table>
<script>
"use strict";
let plan = null, prev = null, rates = {}, lag_history = [];
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const fmt = x => x >= 1e9 ? (x / 1e9).toFixed(2) + "G" : x >= 1e6 ? (x / 1e6).toFixed(2) + "M" : x >= 1e3 ? (x / 1e3).toFixed(1) + "k" : String(Math.round(x));
function drawPlan() {
  const root = document.getElementById("plan"); root.textContent = "";
  for (const job of plan.jobs) {
    root.appendChild(el("div", "muted", "job " + job.job + ": " + job.source.name + " → " + job.sink.name + ", " + job.threads + " threads, " + job.mode));
    const row = el("div", "job");
    job.segments.forEach((s, i) => {
      if (i > 0) row.appendChild(el("div", "boundary", job.segments[i - 1].output === "shuffle" ? "shuffle" : "sink thread"));
      const seg = el("div", "seg"); seg.appendChild(el("div", "title", "segment " + s.id + " ×" + s.parallelism));
      const boxes = [];
      if (s.input === "source") boxes.push({position: 0, name: job.source.name, state: false});
      for (const st of s.stages) boxes.push({position: st.position, name: st.name, state: s.keeps_state.includes(st.position)});
      if (s.output === "shuffle") boxes.push({position: s.last, name: s.output_name, state: false});
      if (s.output === "sink") boxes.push({position: job.stages.length + 1, name: job.sink.name, state: job.sink.keeps_state});
      for (const b of boxes) {
        const d = el("div", "stage" + (b.state ? " state" : ""));
        d.id = "stage-" + job.job + "-" + b.position;
        d.dataset.name = b.name; d.dataset.position = b.position; d.dataset.job = job.job;
        d.appendChild(el("div", "", b.name + (b.position > 0 && b.position <= job.stages.length ? " #" + b.position : "")));
        d.appendChild(el("div", "rate", "–"));
        seg.appendChild(d);
      }
      row.appendChild(seg);
    });
    root.appendChild(row);
  }
}
function plot(svg, values, color, y0) {
  const w = svg.width.baseVal.value, h = svg.height.baseVal.value, n = values.length;
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => ((n < 2 ? 0 : i / (n - 1)) * (w - 4) + 2).toFixed(1) + "," + (h - 2 - (v / max) * (h - 16)).toFixed(1)).join(" ");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", pts); line.setAttribute("fill", "none"); line.setAttribute("stroke", color);
  svg.appendChild(line);
  const t = document.createElementNS("http://www.w3.org/2000/svg", "text");
  t.setAttribute("x", 4); t.setAttribute("y", y0); t.setAttribute("font-size", 11); t.setAttribute("fill", color);
  t.textContent = "max " + fmt(max); svg.appendChild(t);
}
function update(m) {
  const dt = prev ? (m.taken_ms - prev.taken_ms) / 1000 : 0;
  for (const s of m.stages) {
    if (s.branch) continue;  // a fan_out branch's own positions: not the plan's boxes
    const d = document.getElementById("stage-" + s.job + "-" + s.position);
    if (!d) continue;
    const key = s.job + "-" + s.position;
    const before = prev && prev.stages.find(p => p.job === s.job && p.position === s.position);
    if (before && dt > 0) rates[key] = (s.records_in - before.records_in) / dt;
    d.dataset.records_in = s.records_in;
    d.dataset.rate = rates[key] === undefined ? "" : rates[key].toFixed(1);
    let text = fmt(s.records_in) + " in" + (rates[key] === undefined ? "" : ", " + fmt(rates[key]) + "/s");
    if (s.watermark_lag_ms !== null) text += ", wm lag " + (s.watermark_lag_ms / 1000).toFixed(1) + "s";
    if (s.state_keys !== undefined && s.state_keys !== null) { d.dataset.state_keys = s.state_keys; text += ", " + fmt(s.state_keys) + " keys"; }
    if (s.state_bytes !== undefined && s.state_bytes !== null) text += ", state " + fmt(s.state_bytes) + "B";
    const q = (m.boundaries || []).find(b => b.job === s.job && b.position === s.position && !b.branch);
    if (q && q.capacity > 0) {
      // The queues in front of this stage: fill (backpressure) and producers' blocked time.
      const qb = prev && (prev.boundaries || []).find(b => b.job === s.job && b.position === s.position && !b.branch);
      const blocked = qb && dt > 0 ? (q.producer_blocked_us - qb.producer_blocked_us) / 1e6 / dt : 0;
      d.dataset.queue_fill = q.fill;
      text += ", queue " + Math.round(100 * q.fill / q.capacity) + "%" + (blocked > 0 ? ", blocked " + Math.round(100 * blocked) + "%" : "");
      d.style.background = q.fill >= q.capacity / 2 ? "#fbe3e3" : "";
    }
    const parts = (m.partitions || []).filter(p => p.job === s.job);
    if (s.position === 0 && parts.some(p => p.lag !== null)) {
      const lag = parts.reduce((a, p) => a + (p.lag || 0), 0);
      d.dataset.kafka_lag = lag;
      text += ", kafka lag " + fmt(lag);
    }
    d.querySelector(".rate").textContent = text;
  }
  const parts = m.partitions || [];
  document.getElementById("kafka").style.display = parts.length ? "" : "none";
  if (parts.length) {
    lag_history.push(parts.reduce((a, p) => a + (p.lag || 0), 0));
    if (lag_history.length > 120) lag_history.shift();
    const ks = document.getElementById("kafka_lag"); ks.textContent = "";
    plot(ks, lag_history, "#c33", 12);
    const pt = document.getElementById("partitions"); pt.textContent = "";
    const head = el("tr"); for (const h of ["job", "topic", "partition", "offset", "high watermark", "lag"]) head.appendChild(el("th", "", h)); pt.appendChild(head);
    for (const p of parts) {
      const r = el("tr");
      for (const v of [p.job, p.topic, p.partition, p.offset, p.high_watermark, p.lag]) r.appendChild(el("td", "", v === null ? "–" : String(v)));
      pt.appendChild(r);
    }
  }
  const bs = document.getElementById("batches"); bs.textContent = "";
  plot(bs, m.batches.map(b => b.work_us / 1000), "#c33", 12);
  plot(bs, m.batches.map(b => b.records), "#36c", 24);
  plot(bs, m.batches.map(b => b.source_blocked_us / 1000), "#a6a", 36);
  const cs = document.getElementById("checkpoints"); cs.textContent = "";
  plot(cs, m.checkpoints.history.map(c => c.duration_ms), "#c33", 12);
  plot(cs, m.checkpoints.history.map(c => c.bytes), "#36c", 24);
  plot(cs, m.checkpoints.history.map(c => c.alignment_us / 1000), "#a6a", 36);
  const last = m.checkpoints.last;
  document.getElementById("checkpoint_last").textContent = m.checkpoints.completed + " completed, " + m.checkpoints.aborted + " aborted" +
    (last ? "; last #" + last.id + ": " + last.duration_ms + " ms, " + fmt(last.bytes) + " bytes, aligned in " + (last.alignment_us / 1000).toFixed(1) + " ms" : "");
  const ct = document.getElementById("counters"); ct.textContent = "";
  for (const [k, v] of Object.entries(m.counters)) { const r = el("tr"); r.appendChild(el("th", "", k)); r.appendChild(el("td", "", fmt(v))); ct.appendChild(r); }
  document.getElementById("status").textContent = "updated " + new Date(m.taken_ms).toLocaleTimeString();
  prev = m;
}
async function tick() {
  try {
    if (!plan) { plan = await (await fetch("plan.json")).json(); drawPlan(); }
    update(await (await fetch("metrics.json")).json());
  } catch (e) { document.getElementById("status").textContent = "no connection (" + e + ")"; }
  setTimeout(tick, 1000);
}
tick();
</script></body></html>
)spate";

}  // namespace spate::observe
