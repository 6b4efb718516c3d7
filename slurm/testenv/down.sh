#!/usr/bin/env bash
# Tears down what up.sh started, by PID: jobs and sessions inside each site's network namespace (`ip netns pids`),
# then the daemons whose PIDs up.sh kept; then the namespaces and veths (they outlive their processes).
set -uo pipefail
RUN="${FEDBENCH_TESTENV:-/tmp/fedbench-testenv}"

stop_pids() { # pids...
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null
  for _ in $(seq 50); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null
  return 0
}

# SSH master connections the tests opened (FEDBENCH_SSH_DIR=$RUN/cm): closed through their sockets.
for sock in "$RUN"/cm/*; do
  [ -S "$sock" ] && ssh -o ControlPath="$sock" -O exit fedbench-testenv >/dev/null 2>&1
done

for ns in fb-alpha fb-beta; do
  [ -e "/run/netns/$ns" ] || continue
  mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
  stop_pids "${pids[@]}"
done

if [ -d "$RUN/pids" ]; then
  pids=()
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] || continue
    p="$(cat "$f")"
    [[ "$p" =~ ^[0-9]+$ ]] && pids+=("$p")
  done
  stop_pids "${pids[@]}"
  rm -f "$RUN"/pids/*.pid
fi

for n in 1 2; do ip link del "fbh$n" 2>/dev/null; done
for ns in fb-alpha fb-beta; do ip netns del "$ns" 2>/dev/null; done
# Only a folder up.sh made (it has pids/) is removed.
if [ "${FEDBENCH_TESTENV_KEEP:-}" != 1 ] && [ -d "$RUN/pids" ]; then
  rm -rf "$RUN"
fi
exit 0
