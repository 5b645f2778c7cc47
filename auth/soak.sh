#!/usr/bin/env bash
# Soak test of irsforge-auth: a load generator in a second process (wrk) keeps the token
# endpoint at the bcrypt limit for DURATION seconds (default 600) while this script samples the
# server's RSS and asks /auth/health once a second.
#
#   auth/soak.sh [DURATION_SECONDS]          # needs wrk (apt-get install wrk)
#
# Passes when, after a 60 s warm-up, RSS never grows more than 10 % above the warm-up level,
# no token request fails other than by load shedding (503), and every health check answers 200
# within a second. Only loopback is used. Figures go to stdout; raw samples stay in $WORK.
set -euo pipefail
DURATION=${1:-600}
WARMUP=${SOAK_WARMUP:-60}
CONNECTIONS=${SOAK_CONNECTIONS:-10}   # 2 bcrypt workers + 8 queue places on 2 cores: the limit
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "soak: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

cargo build --release -q -p auth --bin irsforge-auth
BIN=${CARGO_TARGET_DIR:-target}/release/irsforge-auth
WORK=$(mktemp -d /tmp/irsforge-soak.XXXXXX)
SECRET=soak-secret-0123456789abcdef
HASH=$(printf '%s' "$SECRET" | "$BIN" hash-secret --cost 10)
cp examples/irsforge.builtin.yaml "$WORK/irsforge.yaml"
printf 'accounts:\n  - id: mark-publisher\n    clientSecretHash: "%s"\n  - id: scheduler\n    clientSecretHash: "%s"\n' \
  "$HASH" "$HASH" > "$WORK/service-accounts.yaml"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The credential cache off: wrk repeats one credential, which the cache would recognise after
# the first bcrypt check; the soak keeps bcrypt itself at its limit (SOAK_CACHE_SIZE to change).
AUTH_PORT=$PORT AUTH_BIND=127.0.0.1 AUTH_THROTTLE_ADDR_PER_MIN=0 AUTH_THROTTLE_CLIENT_PER_MIN=0 \
  AUTH_CREDENTIAL_CACHE_SIZE=${SOAK_CACHE_SIZE:-0} \
  "$BIN" --config "$WORK/irsforge.yaml" --service-accounts "$WORK/service-accounts.yaml" \
  --keys "$WORK/keys" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/auth/health" >/dev/null && break; sleep 0.1; done

BASIC=$(printf 'mark-publisher:%s' "$SECRET" | base64 -w0)
cat > "$WORK/token.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
-- response() runs in each thread's Lua state and done() in another, so counts travel through
-- thread:get().
ok, shed, other = 0, 0, 0
function response(status, headers, body)
  if status == 200 then ok = ok + 1 elseif status == 503 then shed = shed + 1 else other = other + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local t = {ok = 0, shed = 0, other = 0}
  for _, thread in ipairs(threads) do
    for key in pairs(t) do t[key] = t[key] + thread:get(key) end
  end
  io.write(string.format("status 200 %d\nstatus 503 %d\nstatus 0 %d\n", t.ok, t.shed, t.other))
  io.write(string.format("p50_ms %.1f\np99_ms %.1f\nerrors_socket %d\n", latency:percentile(50)/1000,
    latency:percentile(99)/1000, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$WORK/token.lua" \
  "http://127.0.0.1:$PORT/auth/oauth/token" > "$WORK/wrk.txt" 2>&1 &
LOAD=$!

: > "$WORK/samples.tsv"
for second in $(seq "$DURATION"); do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
  health=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 1 "http://127.0.0.1:$PORT/auth/health" || echo "000 1")
  printf '%s\t%s\t%s\n' "$second" "$rss" "$health" >> "$WORK/samples.tsv"
  sleep 1
done
wait $LOAD || true

python3 - "$WORK" "$WARMUP" <<'PY'
import sys, statistics
work, warmup = sys.argv[1], int(sys.argv[2])
rows = [line.split() for line in open(f"{work}/samples.tsv")]
rss = [(int(r[0]), int(r[1]) / 1024) for r in rows]
after = [mb for s, mb in rss if s > warmup]
base = statistics.mean(mb for s, mb in rss if warmup < s <= warmup + 60) if after else float("nan")
growth = (max(after) / base - 1) * 100
health = [(r[2], float(r[3]) * 1000) for r in rows]
bad = [h for h in health if h[0] != "200"]
lat = sorted(ms for _, ms in health)
wrk = open(f"{work}/wrk.txt").read()
statuses = {int(l.split()[1]): int(l.split()[2]) for l in wrk.splitlines() if l.startswith("status ")}
sock = int(next(l.split()[1] for l in wrk.splitlines() if l.startswith("errors_socket")))
other = {s: n for s, n in statuses.items() if s not in (200, 503) and n}
duration = len(rows)
print(f"duration               {duration} s, warm-up {warmup} s")
print(f"tokens issued          {statuses.get(200, 0)} ({statuses.get(200, 0) / duration:.1f}/s)")
print(f"shed (503)             {statuses.get(503, 0)}")
print(f"other statuses         {other or 'none'}; socket errors {sock}")
print(f"RSS after warm-up      baseline {base:.1f} MB, max {max(after):.1f} MB, last {after[-1]:.1f} MB, growth {growth:+.1f} %")
print(f"health checks          {len(health)} ({len(bad)} failed), p50 {lat[len(lat)//2]:.2f} ms, p99 {lat[int(len(lat)*0.99)-1]:.2f} ms, max {lat[-1]:.2f} ms")
for line in wrk.splitlines():
    if line.startswith(("p50_ms", "p99_ms")):
        print(f"token latency          {line}")
ok = growth <= 10 and not other and sock == 0 and not bad
print("verdict                " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
