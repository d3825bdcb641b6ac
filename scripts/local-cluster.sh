#!/usr/bin/env bash
# A local production-like cluster on loopback: a throwaway PostgreSQL, two silos and one separate
# ingress process. Ctrl+C stops everything. State lives under .cluster/ (delete it to start over).
#
#   scripts/local-cluster.sh            # PostgreSQL :55432, silos admin :8080 and :8081, ingress :7944 (health and metrics :9464)
#   SILOS=3 scripts/local-cluster.sh    # more silos: admin :8082..., silo :11113..., gateway :30002...
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
run="$root/.cluster"
silos="${SILOS:-2}"
pg_port="${PG_PORT:-55432}"
mkdir -p "$run/data"

pg_bin=""
for version in 17 16 15 14 13; do
  if [ -x "/usr/lib/postgresql/$version/bin/postgres" ]; then pg_bin="/usr/lib/postgresql/$version/bin"; break; fi
done
if [ -z "$pg_bin" ]; then
  echo "installing PostgreSQL (apt-get install postgresql)..."
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ ! -f "$run/pg/PG_VERSION" ]; then
  mkdir -p "$run/pg" && { [ "$(id -u)" != 0 ] || chown -R postgres "$run/pg"; }
  as_postgres "$pg_bin/initdb" -D "$run/pg" -A trust -U postgres -E UTF8 >/dev/null
fi

pids=()
cleanup() {
  echo; echo "stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

as_postgres "$pg_bin/postgres" -D "$run/pg" -p "$pg_port" -k "$run/pg" -c listen_addresses=127.0.0.1 >"$run/postgres.log" 2>&1 &
pids+=($!)
until "$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port" -q; do sleep 0.2; done
"$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'budgetcluster'" | grep -q 1 \
  || "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres budgetcluster

echo "building..."
dotnet build "$root/Orleans.sln" -c Release -v quiet -nologo >/dev/null

export Storage__Provider=PostgreSql
export Storage__DataDirectory="$run/data"
export ConnectionStrings__PostgreSql="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=budgetcluster"

wait_for() { until curl -sf "$1" >/dev/null; do sleep 0.3; done; }

for i in $(seq 0 $((silos - 1))); do
  dotnet "$root/src/Silo/bin/Release/net10.0/BudgetCluster.Silo.dll" \
    --Urls="http://127.0.0.1:$((8080 + i))" --Orleans:SiloPort=$((11111 + i)) --Orleans:GatewayPort=$((30000 + i)) \
    --DataPlane:Enabled=false >"$run/silo-$i.log" 2>&1 &
  pids+=($!)
  # One at a time: the first start creates the CA and the admin token the others then share.
  wait_for "http://127.0.0.1:$((8080 + i))/readyz"
  echo "silo $i: admin http://127.0.0.1:$((8080 + i)), silo port $((11111 + i)), gateway port $((30000 + i)) (pid ${pids[-1]})"
done

dotnet "$root/src/TelemetryIngress/bin/Release/net10.0/BudgetCluster.TelemetryIngress.dll" \
  --DataPlane:Url=https://127.0.0.1:7944 --Urls=http://127.0.0.1:9464 >"$run/ingress.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:9464/readyz"
echo "ingress: https://127.0.0.1:7944, health and metrics http://127.0.0.1:9464 (pid ${pids[-1]})"
echo "admin token: $run/data/admin-token; logs: $run/*.log; Ctrl+C stops the cluster"
wait
