#!/usr/bin/env bash
# The dashboard in a real headless browser: starts the example job
# (dashboard_job), loads its page in chromium twice, and checks that the
# page drew the job's stages from /plan.json and that their counts and rates
# move between the two loads. With --kafka (the job: dashboard_kafka_job),
# that the page shows the Kafka partitions the job reads and their lag.
# Exit 77 (skipped) without chromium.
set -euo pipefail
mode=plain
if [[ ${1:-} == --kafka ]]; then mode=kafka; shift; fi
job=$1
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then echo "chromium not found (scripts/deps installs it): skipped"; exit 77; fi
work=$(mktemp -d)
cleanup() { exec 3>&- 2>/dev/null || true; [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkfifo "$work/in"
"$job" <"$work/in" >"$work/out" 2>"$work/err" &
pid=$!
exec 3>"$work/in"  # the job runs while this stays open
for _ in $(seq 600); do grep -q '^port ' "$work/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^port //p' "$work/out")
[[ -n $port ]] || { echo "the job printed no port"; cat "$work/err"; exit 1; }
load() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" \
    --virtual-time-budget=5000 --dump-dom "http://127.0.0.1:$port/" 2>/dev/null
}
# A stage box's figure (data-*), as the page wrote it: field PAGE NAME [POSITION].
field() { grep -o "id=\"stage-0-${3:-1}\"[^>]*" <<<"$1" | grep -o "data-$2=\"[^\"]*\"" | sed 's/.*="\(.*\)"/\1/'; }
if [[ $mode == kafka ]]; then
  topic=$(sed -n 's/^topic //p' "$work/out")
  page=$(load)
  # The source's box carries the partitions' lag; the table lists both partitions.
  lag=$(field "$page" kafka_lag 0)
  echo "kafka source: lag $lag records"
  [[ -n $lag && $lag -gt 0 ]] || { echo "no Kafka lag on the source's box"; echo "$page" | head -80; exit 1; }
  grep -q "Kafka partitions" <<<"$page" || { echo "no Kafka section"; exit 1; }
  rows=$(grep -o "<td>$topic</td>" <<<"$page" | wc -l)
  [[ $rows -eq 2 ]] || { echo "the partitions table has $rows rows of $topic, not 2"; echo "$page" | grep -o '<table id="partitions">.*</table>'; exit 1; }
  echo "dashboard (kafka): ok"
  exit 0
fi
first=$(load)
for stage in generate filter key_by fold for_each; do
  grep -q "data-name=\"$stage\"" <<<"$first" || { echo "the page has no stage $stage"; echo "$first" | head -50; exit 1; }
done
grep -q 'segment 2 ×2' <<<"$first" || { echo "the page has no segment 2 x2"; exit 1; }
r1=$(field "$first" records_in)
sleep 1
second=$(load)
r2=$(field "$second" records_in)
rate=$(field "$second" rate)
echo "filter: records_in $r1 then $r2, rate $rate/s"
[[ -n $r1 && -n $r2 && $r2 -gt $r1 ]] || { echo "the counts did not move"; exit 1; }
awk -v r="$rate" 'BEGIN { exit !(r + 0 > 0) }' || { echo "no rate shown"; exit 1; }
echo "dashboard: ok"
