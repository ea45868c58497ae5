#!/usr/bin/env bash
# `scripts/kafka start-broker` after a crash (stop-broker --kill), when the
# machine is busy and what the broker needs is not free at once. Each case
# must end with the broker serving again:
#   plain       restarted at once after SIGKILL;
#   port        another process listens on the broker's port for 4 s (start-broker waits for it);
#   lock        another process holds the log dir's .lock for 25 s (Kafka exits when it finds it locked);
#   slow-exec   the launched process takes 3 s to become the broker's JVM, and
#               until then its command line does not name kafka.Kafka (a
#               fork+exec that a loaded machine schedules late);
#   crash-once  the first JVM exits at start: start-broker prints the end of
#               its log and starts it again;
#   registry    another cluster set up while broker 1 is down, allowed only
#               broker 1's port and the next (SPATE_KAFKA_PORT_RANGE), must
#               not take it (scripts/kafka's port registry).
# SPATE_RESTART_CASES="lock slow-exec" runs only some.
# Runs on the `kafka` CTest fixture (SPATE_KAFKA_SCRIPT, SPATE_KAFKA_DIR), alone
# (EXCLUSIVE): it stops broker 1.
set -euo pipefail
script=${SPATE_KAFKA_SCRIPT:?run through ctest: the kafka fixture sets SPATE_KAFKA_SCRIPT}
state=${SPATE_KAFKA_DIR:?run through ctest: the kafka fixture sets SPATE_KAFKA_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/spate-restart-test.XXXXXX")
real_java=$(command -v java)
real_setsid=$(command -v setsid)
HOLDER=""

say() { printf 'restart_robust [%3ds]: %s\n' "$SECONDS" "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
kafka() { bash "$script" "$@"; }

cleanup() {
  local rc=$?
  [[ -n $HOLDER ]] && kill "$HOLDER" 2>/dev/null || true
  # Leave the cluster whole for the tests after this one.
  kafka start-broker 1 >&2 2>&1 || say "could not restart broker 1 at the end"
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# shellcheck disable=SC1091
source "$state/cluster.env"

hold() { # hold lock FILE SECONDS | hold port PORT SECONDS: returns once it is held
  rm -f "$work/hold.out" "$work/hold.err"
  "$real_java" "$here/Hold.java" "$@" >"$work/hold.out" 2>"$work/hold.err" &
  HOLDER=$!
  local deadline=$((SECONDS + 120))
  until grep -q held "$work/hold.out" 2>/dev/null; do
    kill -0 "$HOLDER" 2>/dev/null || { cat "$work/hold.err" >&2; fail "the holder ($*) exited"; }
    ((SECONDS < deadline)) || fail "the holder ($*) did not hold within 120 s"
    sleep 0.1
  done
}
release_holder() {
  [[ -n $HOLDER ]] || return 0
  wait "$HOLDER" || fail "the holder failed: $(cat "$work/hold.err")"
  HOLDER=""
}

restart() { # restart CASE [VAR=value...]: start-broker 1 must succeed and the broker serve
  local name=$1
  shift
  say "$name: start-broker 1"
  if ! env "$@" bash "$script" start-broker 1 2>"$work/$name.log"; then
    cat "$work/$name.log" >&2
    fail "$name: start-broker 1 failed"
  fi
  grep '^kafka:' "$work/$name.log" >&2 || true # what start-broker waited for, retried
  release_holder
  kafka status | grep -q '^broker 1 .* up$' || fail "$name: broker 1 is not up after start-broker"
  kafka topics --list >/dev/null || fail "$name: the restarted broker does not serve"
  say "$name: broker 1 is back"
}

crash() { kafka stop-broker 1 --kill; }

case_plain() {
  crash
  restart plain
}

case_port() { # the broker's client port is taken for a while after the crash
  crash
  hold port "$PORT_1" 4
  restart port
}

case_lock() { # the log dir's lock file is held for a while after the crash
  crash
  hold lock "$state/broker-1/data/.lock" 25
  restart lock
}

case_slow-exec() { # setsid (what the script launches) becomes the broker only after 3 s
  mkdir -p "$work/slow"
  cat >"$work/slow/setsid" <<EOF
#!/usr/bin/env bash
printf -v SHIM_ARGS '%q ' "\$@"
export SHIM_ARGS
exec -a slow-exec bash -c 'sleep 3; eval "exec $real_setsid \$SHIM_ARGS"'
EOF
  chmod +x "$work/slow/setsid"
  crash
  restart slow-exec "PATH=$work/slow:$PATH"
}

case_crash-once() { # the first JVM of the broker exits at start
  mkdir -p "$work/crash"
  cat >"$work/crash/java" <<EOF
#!/usr/bin/env bash
if [[ " \$* " == *" kafka.Kafka "* && ! -e "$work/crashed" ]]; then
  touch "$work/crashed"
  echo "simulated crash of the broker's JVM at start" >&2
  exit 1
fi
exec "$real_java" "\$@"
EOF
  chmod +x "$work/crash/java"
  crash
  restart crash-once "PATH=$work/crash:$PATH"
  grep -q "simulated crash of the broker's JVM at start" "$work/crash-once.log" ||
    fail "crash-once: start-broker did not print the end of the failed start's log"
  [[ -e $work/crashed ]] || fail "crash-once: the simulated crash did not happen"
}

case_registry() { # a cluster that starts while broker 1 is down must not take its ports
  local other="$work/other-cluster"
  crash
  # The only ports the other cluster may pick: broker 1's client port and the next one.
  if SPATE_KAFKA_PORT_RANGE="$PORT_1-$((PORT_1 + 1))" SPATE_KAFKA_DIR="$other" \
    bash "$script" up >"$work/registry.out" 2>"$work/registry.log"; then
    SPATE_KAFKA_DIR="$other" bash "$script" down || true
    fail "registry: another cluster started on broker 1's port $PORT_1 while broker 1 was down"
  fi
  grep -q "no free port found" "$work/registry.log" ||
    { cat "$work/registry.log" >&2; fail "registry: the other cluster's up failed, but not for want of a port"; }
  SPATE_KAFKA_DIR="$other" bash "$script" down
  restart registry
}

# SPATE_RESTART_CASES="port lock" runs only those.
for c in ${SPATE_RESTART_CASES:-plain port lock slow-exec crash-once registry}; do
  declare -F "case_$c" >/dev/null || fail "no case '$c'"
  "case_$c"
done
say "all cases passed"
