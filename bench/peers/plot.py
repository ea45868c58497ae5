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
peers = [r.get("peer", "Flink 2.3") for r in rows]
colors = {"Flink 2.3": "#e6862a", "Spark 4.2": "#c0392b"}
x = range(len(rows))
w = 0.4
fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 4.5))
ax.bar([i - w / 2 for i in x], spate, w, label="spate", color="#2a7ab0")
for name, color in colors.items():
    idx = [i for i in x if peers[i] == name]
    if idx:
        ax.bar([i + w / 2 for i in idx], [flink[i] for i in idx], w, label=name, color=color)
for i, (s, f) in enumerate(zip(spate, flink)):
    ax.annotate(f"{s / f:.0f}x" if s / f >= 10 else f"{s / f:.1f}x", (i, max(s, f)), ha="center", va="bottom",
                fontsize=8)
ax.set_yscale("log")
ax.set_xticks(list(x))
ax.set_xticklabels(labels, fontsize=8)
ax.set_ylabel("records per CPU-second (log)")
ax.set_title("spate vs Flink and Spark: records per CPU-second of the whole process")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
