#!/usr/bin/env bash
# `make run`: serve the platform and feed it with simulated demo companies.
# Expects CHEMGUARD_DATABASE_URL and CHEMGUARD_DATA_DIR (the Makefile sets both after
# starting PostgreSQL). Ctrl-C stops both processes gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CHEMGUARD_BIN:-bin/chemguard}
ADDR=${CHEMGUARD_HTTP_ADDR:-127.0.0.1:8080}
export CHEMGUARD_HTTP_ADDR=$ADDR
DEMO_ENTERPRISES=${CHEMGUARD_DEMO_ENTERPRISES:-50}
DEMO_RATE=${CHEMGUARD_DEMO_RATE:-100}
mkdir -p "$CHEMGUARD_DATA_DIR"
LOG="$CHEMGUARD_DATA_DIR/chemguard.log"

"$BIN" serve >>"$LOG" 2>&1 &
SERVE=$!
SIM=
cleanup() {
  [ -n "$SIM" ] && kill -INT "$SIM" 2>/dev/null || true
  kill -TERM "$SERVE" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 120); do
  if curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVE" 2>/dev/null; then echo "chemguard serve exited; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; fi
  sleep 0.5
done

"$BIN" simulate --enterprises "$DEMO_ENTERPRISES" --rate "$DEMO_RATE" --speed 60 >"$CHEMGUARD_DATA_DIR/simulate.out" 2>>"$LOG" &
SIM=$!
for _ in $(seq 1 60); do
  KEY=$(sed -n '3p' "$CHEMGUARD_DATA_DIR/simulate.out" 2>/dev/null || true)
  [ -n "$KEY" ] && break
  sleep 0.5
done
DEMO=$(sed -n '2p' "$CHEMGUARD_DATA_DIR/simulate.out" | awk '{print $3}')

cat <<EOT

  chemguard 山东省危险化学品安全生产风险监测预警平台 is running
  -----------------------------------------------------------------
  URL:        http://$ADDR/            (health: /healthz, readiness: /readyz, metrics: /metrics)
  demo feed:  $DEMO_ENTERPRISES simulated companies, up to $DEMO_RATE records/s, 5% deliberately bad
  login:      demo company $DEMO, API key (Authorization: Bearer …):
              $KEY
  try:        curl -H "Authorization: Bearer $KEY" "http://$ADDR/api/v1/exchange/hidden-dangers?limit=5"
  logs:       $LOG
  Ctrl-C stops it; data stays in $CHEMGUARD_DATA_DIR and the local PostgreSQL.

EOT
wait "$SERVE"
