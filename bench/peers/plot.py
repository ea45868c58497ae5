"""bench/peers/plot.py ROWS.json OUT.png -- the plot of bench/peers/run:
records per CPU-second per workload and parallelism, spate beside Flink, log scale."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = json.load(open(sys.argv[1]))
labels = [f"{r['workload']}\nP={r['p']}" for r in rows]
spate = [r["spate"]["per_cpu_s"] for r in rows]
flink = [r["flink"]["per_cpu_s"] for r in rows]
x = range(len(rows))
w = 0.4
fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 4.5))
ax.bar([i - w / 2 for i in x], spate, w, label="spate", color="#2a7ab0")
ax.bar([i + w / 2 for i in x], flink, w, label="Flink 2.3", color="#e6862a")
for i, (s, f) in enumerate(zip(spate, flink)):
    ax.annotate(f"{s / f:.0f}x" if s / f >= 10 else f"{s / f:.1f}x", (i, max(s, f)), ha="center", va="bottom",
                fontsize=8)
ax.set_yscale("log")
ax.set_xticks(list(x))
ax.set_xticklabels(labels, fontsize=8)
ax.set_ylabel("records per CPU-second (log)")
ax.set_title("spate vs Flink: records per CPU-second of the whole process")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
