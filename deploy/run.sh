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
# The application runs as the chemguard_app role (migration 00031): it may only
# append to and read the audit log. Migrations run as the URL's owner first.
export CHEMGUARD_DATABASE_ROLE=${CHEMGUARD_DATABASE_ROLE:-chemguard_app}
# The audit and data keys (CHEMGUARD_AUDIT_KEY, CHEMGUARD_DATA_KEY) are generated
# once into $CHEMGUARD_DATA_DIR/keys when unset; production sets both.
DEMO_ENTERPRISES=${CHEMGUARD_DEMO_ENTERPRISES:-50}
DEMO_RATE=${CHEMGUARD_DEMO_RATE:-100}
mkdir -p "$CHEMGUARD_DATA_DIR"
LOG="$CHEMGUARD_DATA_DIR/chemguard.log"

# A previous run killed with -9 (this script, the terminal, the session) leaves its
# `serve` and `simulate` running: they hold the HTTP port and the embedded broker's
# data directory. Their PIDs are in the data directory; stop exactly those, and only
# when the PID is still this binary.
stop_previous() {
  local f pid exe pids=()
  for f in "$CHEMGUARD_DATA_DIR/simulate.pid" "$CHEMGUARD_DATA_DIR/serve.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f"); rm -f "$f"
    # readlink of a rebuilt binary's old process ends in " (deleted)".
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    [ -n "$pid" ] && [ "${exe% (deleted)}" = "$(readlink -f "$BIN")" ] || continue
    echo "run.sh: stopping the previous run's $(basename "$f" .pid) (PID $pid)" >&2
    pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  # Graceful first, both at once; what serve acknowledged survives a kill as well
  # (the broker syncs each batch), so the wait is short: 1 s.
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 10); do alive "${pids[@]}" || break; sleep 0.1; done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 20); do alive "${pids[@]}" || break; sleep 0.05; done
}
alive() { local p; for p; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
stop_previous
if command -v ss >/dev/null && ss -Htln "sport = :${ADDR##*:}" | grep -q .; then
  echo "run.sh: $ADDR is in use by another program; set CHEMGUARD_HTTP_ADDR:" >&2
  ss -Htlnp "sport = :${ADDR##*:}" | sed 's/^/    /' >&2
  exit 1
fi

"$BIN" serve >>"$LOG" 2>&1 &
SERVE=$!
echo "$SERVE" >"$CHEMGUARD_DATA_DIR/serve.pid"
SIM=
cleanup() {
  [ -n "$SIM" ] && kill -INT "$SIM" 2>/dev/null || true
  kill -TERM "$SERVE" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$CHEMGUARD_DATA_DIR/serve.pid" "$CHEMGUARD_DATA_DIR/simulate.pid"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 300); do
  if curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVE" 2>/dev/null; then echo "chemguard serve exited; log $LOG, last lines:" >&2; tail -20 "$LOG" >&2; exit 1; fi
  sleep 0.2
done

# A demo regulator of 济南市 (city staff: sees the city's counties, nothing else).
DEMO_USER=${CHEMGUARD_DEMO_USER:-jinan_demo}
DEMO_PASSWORD=${CHEMGUARD_DEMO_PASSWORD:-Jinan@2026demo}
printf '%s\n' "$DEMO_PASSWORD" | "$BIN" user add --username "$DEMO_USER" --role city_staff --region 370100 \
  --name 济南市应急管理局演示账号 >>"$LOG" 2>&1 || true # already there on a re-run
# A demo inspector of 济南市 (the phone app /m/): its tier, the city, acts on the
# warnings escalated to the city (nobody signs the simulated ones, so they do within
# the hour); the county's are listed with why they are not its to act on.
DEMO_INSPECTOR=${CHEMGUARD_DEMO_INSPECTOR:-jinan_inspector}
DEMO_INSPECTOR_PASSWORD=${CHEMGUARD_DEMO_INSPECTOR_PASSWORD:-Xuncha@2026demo}
printf '%s\n' "$DEMO_INSPECTOR_PASSWORD" | "$BIN" user add --username "$DEMO_INSPECTOR" --role inspector --region 370100 \
  --name 济南市巡查检查演示账号 >>"$LOG" 2>&1 || true # already there on a re-run

# A demo company on the hosted base system (/e/, 企业端基础系统), registered here and
# not driven by the simulator: its 双重预防, 日常巡检 and 特殊作业 records are what you
# enter, published to the platform through the exchange pipeline. Its 危险源 (the
# registry codes its risk list binds to) are registered through the exchange API,
# as a company's registry data reaches the platform. Only on the first run: the
# company's key is shown once.
BASE_CODE=${CHEMGUARD_DEMO_BASE_COMPANY:-370112900}
BASE_USER=${CHEMGUARD_DEMO_BASE_USER:-luqing_admin}
BASE_PASSWORD=${CHEMGUARD_DEMO_BASE_PASSWORD:-Luqing@2026demo}
if OUT=$("$BIN" enterprise add --code "$BASE_CODE" --name 济南鲁清化工有限公司 --region 370112 --kind 生产 2>>"$LOG"); then
  BASE_KEY=$(printf '%s\n' "$OUT" | sed -n '5p')
  curl -fsS -X POST "http://$ADDR/api/v1/exchange/hazard-sources" -H "Authorization: Bearer $BASE_KEY" \
    -H 'Content-Type: application/json' -d "[
    {\"HAZARD_CODE\":\"${BASE_CODE}001\",\"COMPANY_CODE\":\"$BASE_CODE\",\"HAZARD_NAME\":\"液氨储罐区\",\"HAZARD_KIND\":\"1\",\"HAZARD_GRADE\":\"2\",\"SUBSTANCES\":\"液氨\",\"KEY_SUBSTANCE\":\"\",\"DELETED\":\"0\"},
    {\"HAZARD_CODE\":\"${BASE_CODE}002\",\"COMPANY_CODE\":\"$BASE_CODE\",\"HAZARD_NAME\":\"甲醇储罐区\",\"HAZARD_KIND\":\"1\",\"HAZARD_GRADE\":\"3\",\"SUBSTANCES\":\"甲醇\",\"KEY_SUBSTANCE\":\"\",\"DELETED\":\"0\"},
    {\"HAZARD_CODE\":\"${BASE_CODE}003\",\"COMPANY_CODE\":\"$BASE_CODE\",\"HAZARD_NAME\":\"合成氨装置\",\"HAZARD_KIND\":\"1\",\"HAZARD_GRADE\":\"2\",\"SUBSTANCES\":\"氨、氢气\",\"KEY_SUBSTANCE\":\"\",\"DELETED\":\"0\"}]" \
    >>"$LOG" 2>&1 || echo "run.sh: registering the base-system demo company's hazard sources failed (see $LOG)" >&2
  printf '%s\n' "$BASE_PASSWORD" | "$BIN" user add --username "$BASE_USER" --role enterprise_admin --enterprise "$BASE_CODE" \
    --name 鲁清化工企业管理员 >>"$LOG" 2>&1 || true
fi

"$BIN" simulate --enterprises "$DEMO_ENTERPRISES" --rate "$DEMO_RATE" --speed 60 >"$CHEMGUARD_DATA_DIR/simulate.out" 2>>"$LOG" &
SIM=$!
echo "$SIM" >"$CHEMGUARD_DATA_DIR/simulate.pid"
for _ in $(seq 1 60); do
  KEY=$(sed -n '6p' "$CHEMGUARD_DATA_DIR/simulate.out" 2>/dev/null || true)
  [ -n "$KEY" ] && break
  sleep 0.5
done
DEMO=$(sed -n '2p' "$CHEMGUARD_DATA_DIR/simulate.out" | awk '{print $3}')
SECRET=$(sed -n '4p' "$CHEMGUARD_DATA_DIR/simulate.out")
RID=$(cat /proc/sys/kernel/random/uuid) # the banner's example record: a fresh 风险分析单元 each run

cat <<EOT

  chemguard 山东省危险化学品安全生产风险监测预警平台 is running
  -----------------------------------------------------------------
  URL:        http://$ADDR/            (health: /healthz, readiness: /readyz, metrics: /metrics)
  demo feed:  $DEMO_ENTERPRISES simulated companies, up to $DEMO_RATE records/s, 5% deliberately bad
  portal:     http://$ADDR/portal/   (监管门户: 综合分析, 风险预警, 企业一张图, 数据质量, 数据浏览)
  inspector:  http://$ADDR/m/        (巡查检查移动端, phone-sized, installable)
              inspector $DEMO_INSPECTOR / $DEMO_INSPECTOR_PASSWORD (济南市, 巡查检查人员: acts on the warnings escalated to the city)
  base sys:   http://$ADDR/e/   (企业端基础系统: 双重预防, 日常巡检, 特殊作业, 人员定位, 智能视频; phone pages /e/m/)
              company administrator $BASE_USER / $BASE_PASSWORD (济南鲁清化工有限公司 $BASE_CODE, 企业管理员)
  login:      regulator $DEMO_USER / $DEMO_PASSWORD (济南市, city staff), in the portal or the API:
              curl -s -X POST http://$ADDR/api/v1/auth/login -H 'Content-Type: application/json' -d '{"username":"$DEMO_USER","password":"$DEMO_PASSWORD"}'
              then GET /api/v1/enterprises with "Authorization: Bearer <token>"
  company:    demo company $DEMO, exchange API key (Authorization: Bearer …):
              $KEY
              signing secret (HMAC key of X-Chemguard-Signature, never sent; docs/api-signing.md):
              $SECRET
  upload one: curl -s -X POST http://$ADDR/api/v1/exchange/risk-units -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
                -d '[{"ID":"$RID","HAZARD_CODE":"370102100001","HAZARD_DEP":"合成氨车间","HAZARD_LIABLE_PERSON":"王建国","RISK_UNIT_NAME":"液氨储罐区","DELETED":"0"}]'
  read back:  curl -s -H "Authorization: Bearer $KEY" http://$ADDR/api/v1/exchange/risk-units/$RID
  API docs:   http://$ADDR/portal/api (接口文档), http://$ADDR/api/v1/openapi.json; offline check: $BIN check risk-units FILE
  logs:       $LOG
  Ctrl-C stops it; data stays in $CHEMGUARD_DATA_DIR and the local PostgreSQL.

EOT
wait "$SERVE"
