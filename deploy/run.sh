#!/usr/bin/env bash
# `make run`: serve the platform and feed it with simulated demo companies.
# Expects CHEMGUARD_DATABASE_URL and CHEMGUARD_DATA_DIR (the Makefile sets both after
# starting PostgreSQL). Ctrl-C stops both processes gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CHEMGUARD_BIN:-bin/chemguard}
ADDR=${CHEMGUARD_HTTP_ADDR:-127.0.0.1:8080}
export CHEMGUARD_HTTP_ADDR=$ADDR
# The demo serves plain HTTP on this machine: let the portal's session cookie work
# without TLS there (production sits behind HTTPS and keeps the Secure flag).
case "$ADDR" in
  127.*|localhost:*) export CHEMGUARD_INSECURE_COOKIE=${CHEMGUARD_INSECURE_COOKIE:-true} ;;
esac
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

# A demo regulator of 济南市 (city staff: sees the city's counties, nothing else).
DEMO_USER=${CHEMGUARD_DEMO_USER:-jinan_demo}
DEMO_PASSWORD=${CHEMGUARD_DEMO_PASSWORD:-Jinan@2026demo}
printf '%s\n' "$DEMO_PASSWORD" | "$BIN" user add --username "$DEMO_USER" --role city_staff --region 370100 \
  --name 济南市应急管理局演示账号 >>"$LOG" 2>&1 || true # already there on a re-run

"$BIN" simulate --enterprises "$DEMO_ENTERPRISES" --rate "$DEMO_RATE" --speed 60 >"$CHEMGUARD_DATA_DIR/simulate.out" 2>>"$LOG" &
SIM=$!
for _ in $(seq 1 60); do
  KEY=$(sed -n '3p' "$CHEMGUARD_DATA_DIR/simulate.out" 2>/dev/null || true)
  [ -n "$KEY" ] && break
  sleep 0.5
done
DEMO=$(sed -n '2p' "$CHEMGUARD_DATA_DIR/simulate.out" | awk '{print $3}')
RID=$(cat /proc/sys/kernel/random/uuid) # the banner's example record: a fresh 风险分析单元 each run

cat <<EOT

  chemguard 山东省危险化学品安全生产风险监测预警平台 is running
  -----------------------------------------------------------------
  URL:        http://$ADDR/            (health: /healthz, readiness: /readyz, metrics: /metrics)
  demo feed:  $DEMO_ENTERPRISES simulated companies, up to $DEMO_RATE records/s, 5% deliberately bad
  portal:     http://$ADDR/portal/   (监管门户: 综合分析, 风险预警, 企业一张图, 数据质量, 数据浏览)
  inspector:  http://$ADDR/m/        (巡查检查移动端, phone-sized, installable; same login)
  login:      regulator $DEMO_USER / $DEMO_PASSWORD (济南市, city staff), in the portal or the API:
              curl -s -X POST http://$ADDR/api/v1/auth/login -H 'Content-Type: application/json' -d '{"username":"$DEMO_USER","password":"$DEMO_PASSWORD"}'
              then GET /api/v1/enterprises with "Authorization: Bearer <token>"
  company:    demo company $DEMO, exchange API key (Authorization: Bearer …):
              $KEY
  upload one: curl -s -X POST http://$ADDR/api/v1/exchange/risk-units -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
                -d '[{"ID":"$RID","HAZARD_CODE":"370102100001","HAZARD_DEP":"合成氨车间","HAZARD_LIABLE_PERSON":"王建国","RISK_UNIT_NAME":"液氨储罐区","DELETED":"0"}]'
  read back:  curl -s -H "Authorization: Bearer $KEY" http://$ADDR/api/v1/exchange/risk-units/$RID
  API docs:   http://$ADDR/portal/api (接口文档), http://$ADDR/api/v1/openapi.json; offline check: $BIN check risk-units FILE
  logs:       $LOG
  Ctrl-C stops it; data stays in $CHEMGUARD_DATA_DIR and the local PostgreSQL.

EOT
wait "$SERVE"
