#!/bin/sh
# Puts one generation of the XMPP servers the tests run against on this Debian 12 machine (as root):
#   sh scripts/servers.sh current   Prosody 13 and ejabberd 24.12 from bookworm-backports
#   sh scripts/servers.sh old       Prosody 0.12 and ejabberd 23.01 from bookworm
#   sh scripts/servers.sh which     prints current, old or none
# Debian installs one version of each package at a time, so a switch replaces the servers and the
# Erlang libraries ejabberd was built against (ejabberd 23.01 fails on 24.12's erlang-p1-*).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt_get() {
  apt-get -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}
# An install, tried again after `apt-get update` when the package lists are missing or stale.
install() {
  apt_get install "$@" >/dev/null 2>&1 || { apt-get update -qq && apt_get install "$@" >/dev/null; }
}

which_generation() {
  case "$(dpkg-query -W -f='${Version}' prosody 2>/dev/null || true)" in
    13.*) echo current ;;
    0.12.*) echo old ;;
    *) echo none ;;
  esac
}

backports() {
  src=/etc/apt/sources.list.d/bookworm-backports.sources
  [ -f "$src" ] && return 0
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$src"
  apt-get update -qq
}

# The server packages (and the Erlang libraries) installed from backports, each with the version
# bookworm itself has: the list `apt-get install --allow-downgrades` needs to go back.
old_versions() {
  dpkg-query -W -f='${Package} ${Version}\n' 'prosody*' 'ejabberd*' 'erlang-*' 2>/dev/null |
    awk '$2 ~ /bpo12/ { print $1 }' |
    while read -r pkg; do
      version=$(apt-cache madison "$pkg" | awk -F'|' '$3 ~ / bookworm(-security|-updates)?\// { gsub(/ /, "", $2); print $2; exit }')
      [ -n "$version" ] && echo "$pkg=$version"
    done
}

case "${1:-}" in
  which) which_generation ;;
  current)
    [ "$(which_generation)" = current ] && exit 0
    backports
    install -t bookworm-backports prosody prosody-modules ejabberd
    ;;
  old)
    [ "$(which_generation)" = old ] && exit 0
    if [ "$(which_generation)" = current ]; then
      # shellcheck disable=SC2046 # one word per package=version
      install --allow-downgrades $(old_versions)
    else
      install prosody prosody-modules ejabberd
    fi
    ;;
  *) echo "usage: servers.sh current|old|which" >&2; exit 2 ;;
esac
echo "servers: prosody $(dpkg-query -W -f='${Version}' prosody), ejabberd $(dpkg-query -W -f='${Version}' ejabberd)"
