#!/usr/bin/env bash
# `make dev`: Veneer in workerd (wrangler dev) on http://127.0.0.1:PORT, in front of ORIGIN (by
# default the bundled demo storefront, started here), with the RULES file seeded into local KV,
# local D1 (the console's audit log, migrations applied) and the console at /__veneer/.
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

# The console: its audit log in local D1, its UI (the tests' placeholder page until the UI is
# built), and an admin token (ADMIN_TOKEN=<token> picks it; otherwise a new one each run).
if [ -d migrations ]; then
  $wrangler d1 migrations apply DB --local </dev/null >/dev/null
fi
if grep -q '"build:console"' package.json; then
  npm run --silent build:console
fi
assets=console/dist
if [ ! -f "$assets/__veneer/index.html" ]; then
  echo "note: console/dist is not built (npm run build:console); the console shows a placeholder" >&2
  assets=tests/edge/fixtures/console
fi
admin=${ADMIN_TOKEN:-$(node -e 'console.log(require("node:crypto").randomBytes(18).toString("base64url"))')}

echo "==> Veneer on http://127.0.0.1:$port in front of $origin, rules from $rules"
echo "    preview (draft rules${DRAFT:+ from $DRAFT}): http://127.0.0.1:$port/?veneer_preview=$token"
echo "    console: http://127.0.0.1:$port/__veneer/  admin token: $admin"
# Rules are re-read every 2 seconds here, so edits to local KV show up quickly.
$wrangler dev --ip 127.0.0.1 --port "$port" --var "ORIGIN:$origin" --var RULES_CACHE_SECONDS:2 \
  --var "VENEER_SECRET:$secret" --var "VENEER_ADMIN_TOKEN:$admin" --assets "$assets"
