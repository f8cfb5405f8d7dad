#!/bin/bash
# The systemd units pass `systemd-analyze verify` with no warning: an unknown or misspelt
# directive, a bad value or a missing section is only a warning to systemd (the unit still
# loads, without the hardening line), so any diagnostic fails this test.
# usage: check_units.sh SOURCE_DIR SHELTERD_BINARY
# `verify` needs no systemd as PID 1; it does need ExecStart='s program to exist, so the unit is
# checked as installed: /usr/sbin/shelterd rewritten to the binary just built.
set -euo pipefail
src=$1
shelterd=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
check() {  # NAME FILE...: the files concatenated (a unit and its drop-ins) as unit NAME
  local name=$1
  shift
  cat "$@" | sed "s|/usr/sbin/shelterd|$shelterd|g" >"$work/$name"
  local out
  out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$work/$name" 2>&1) || {
    echo "FAIL $name: systemd-analyze verify failed:"
    echo "$out"
    failed=1
    return
  }
  # Lines about other units (the machine's own) are not ours.
  local ours
  ours=$(grep -E "^($work/)?$name(:|\b)" <<<"$out" || true)
  if [ -n "$ours" ]; then
    echo "FAIL $name: warnings:"
    echo "$ours"
    failed=1
  else
    echo "ok   $name"
  fi
}
check shelterd.service "$src/deploy/systemd/shelterd.service"
check shelterd-tproxy.service "$src/deploy/systemd/shelterd.service" \
  "$src/deploy/systemd/shelterd.service.d/tproxy.conf"
result=$failed
# The test itself must be able to fail: a unit with a misspelt directive is caught.
printf '[Service]\nProtectSytem=strict\nExecStart=/bin/true\n' >"$work/selfcheck.service.in"
check selfcheck.service "$work/selfcheck.service.in" >"$work/selfcheck.out" || true
if ! grep -q "^FAIL selfcheck.service" "$work/selfcheck.out"; then
  echo "FAIL: a misspelt directive was not reported; the check is blind"
  cat "$work/selfcheck.out"
  exit 1
fi
[ "$result" = 0 ] && echo "all units verified"
exit "$result"
