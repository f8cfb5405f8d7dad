#!/bin/bash
# `cmake --install` into a throwaway DESTDIR with --prefix /usr lays out what
# docs/operations.md#install-layout says, and the installed unit's programs exist in it.
# usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" --prefix /usr >"$dest.log" 2>&1 || {
  cat "$dest.log"
  rm -f "$dest.log"
  exit 1
}
rm -f "$dest.log"
failed=0
expect() {  # TEST PATH: e.g. -x usr/sbin/shelterd
  if [ "$1" "$dest/$2" ]; then echo "ok   $2"; else echo "FAIL $2 ($1)"; failed=1; fi
}
expect -x usr/sbin/shelterd
expect -x usr/bin/shelterctl
expect -x usr/bin/shelter-compile
expect -f usr/lib/systemd/system/shelterd.service
expect -f usr/share/doc/shelter/README.md
expect -f usr/share/doc/shelter/docs/operations.md
expect -f usr/share/doc/shelter/examples/shelter.example.yaml
expect -f usr/share/doc/shelter/examples/households.example.yaml
expect -f usr/share/doc/shelter/examples/systemd/shelterd.service.d/tproxy.conf
expect -d usr/share/doc/shelter/examples/nftables
expect -f usr/share/doc/shelter/examples/redis/sentinel.conf
# Nothing outside /usr: the operator's /etc is theirs (re-installing must not overwrite it).
outside=$(cd "$dest" && find . -mindepth 1 -maxdepth 1 ! -name usr)
if [ -n "$outside" ]; then echo "FAIL installed outside /usr: $outside"; failed=1; fi
# The unit as installed: every program it runs exists in the layout (or on the system: /bin/kill).
unit=$dest/usr/lib/systemd/system/shelterd.service
programs=$(sed -n 's/^Exec[A-Za-z]*=[-@+!:]*\([^ ]*\).*/\1/p' "$unit" | sort -u)
[ -n "$programs" ] || { echo "FAIL no Exec lines in the installed unit"; failed=1; }
for p in $programs; do
  if [ -x "$dest$p" ]; then
    echo "ok   unit runs $p (installed)"
  elif [ "$p" = /bin/kill ] && [ -x /bin/kill ]; then
    echo "ok   unit runs $p (system)"
  else
    echo "FAIL unit runs $p, which is not in the layout"
    failed=1
  fi
done
grep -q '^ExecStart=/usr/sbin/shelterd ' "$unit" || { echo "FAIL ExecStart is not /usr/sbin/shelterd"; failed=1; }
# A different prefix moves the unit's paths with it.
rm -rf "$dest/opt"
DESTDIR=$dest cmake --install "$build" --prefix /opt/shelter >/dev/null
if grep -q '^ExecStart=/opt/shelter/sbin/shelterd ' "$dest/opt/shelter/lib/systemd/system/shelterd.service" &&
  [ -x "$dest/opt/shelter/sbin/shelterd" ]; then
  echo "ok   --prefix /opt/shelter: ExecStart follows"
else
  echo "FAIL --prefix /opt/shelter: ExecStart does not follow the prefix"
  failed=1
fi
"$dest/usr/sbin/shelterd" --version
exit "$failed"
