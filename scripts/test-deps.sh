#!/bin/sh
# The test suite runs real servers and a real browser from Debian's packages. Install what is
# missing when we may (root), else say exactly what to install.
missing=""
command -v prosody >/dev/null 2>&1 || missing="$missing prosody"
[ -f /usr/lib/prosody/modules/mod_privilege/mod_privilege.lua ] || missing="$missing prosody-modules"
[ -x /usr/sbin/ejabberdctl ] || missing="$missing ejabberd"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
# PostgreSQL: the store contract and the several-instances fault test start a throwaway cluster.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "test-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; } || exit 1
else
  echo "test-deps: the tests need these Debian packages: sudo apt-get install -y$missing" >&2
  exit 1
fi
