#!/usr/bin/env bash
# `make dev`: Veneer in workerd (wrangler dev) on http://127.0.0.1:PORT, in front of ORIGIN (by
# default the bundled demo storefront, started here), with the RULES file seeded into local KV.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8787} origin=${2:-} rules=${3:-fixtures/rules/demo.json} demo_port=${4:-8080}
wrangler=node_modules/.bin/wrangler
export WRANGLER_SEND_METRICS=false

cargo run --quiet --bin veneer -- validate "$rules" ||
  echo "warning: $rules has problems (above); broken rules are skipped, the rest run" >&2

if [ -z "$origin" ]; then
  node fixtures/storefront/server.mjs --port "$demo_port" &
  demo_pid=$!
  trap 'kill $demo_pid 2>/dev/null || true' EXIT
  origin="http://127.0.0.1:$demo_port"
fi

$wrangler kv key put rules --path "$rules" --binding RULES --local >/dev/null
if [ -n "${DRAFT:-}" ]; then
  $wrangler kv key put rules:draft --path "$DRAFT" --binding RULES --local >/dev/null
fi
# A local-only secret, so previews work here: never use this one in production.
secret=${VENEER_SECRET:-veneer-local-dev-secret}
token=$(cargo run --quiet --bin veneer -- preview-token --secret "$secret" --ttl 8h 2>/dev/null || true)
echo "==> Veneer on http://127.0.0.1:$port in front of $origin, rules from $rules"
echo "    preview (draft rules${DRAFT:+ from $DRAFT}): http://127.0.0.1:$port/?veneer_preview=$token"
# Rules are re-read every 2 seconds here, so edits to local KV show up quickly.
$wrangler dev --ip 127.0.0.1 --port "$port" --var "ORIGIN:$origin" --var RULES_CACHE_SECONDS:2 \
  --var "VENEER_SECRET:$secret"
