#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vm/vm.sh - ./hvo vm: the VM lane's front door (README "VM lane").
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	cat <<'USAGE'
usage: ./hvo vm [run] [OPTIONS] FILE.ops|DIR...   replay streams on a real kernel in QEMU
       ./hvo vm fuzz [--time S] [--kernel V] [--seed X] [--hvo on|off] [--mem SIZE] [--1g]
                                                random streams for a time budget
       ./hvo vm confirm [--finding K1|K2]       replay the findings' witnesses (reports/findings-vm.md)
       ./hvo vm test                            the VM step of ./hvo test
  ./hvo vm run --help, ./hvo vm fuzz --help: the options
exit: 0 clean, 1 a finding, 2 usage/input/IO error, 3 nothing checked, 130 interrupted
USAGE
}

case "${1:-}" in
run) shift; exec "$here/run.sh" "$@" ;;
fuzz) shift; exec "$here/fuzz.sh" "$@" ;;
confirm) shift; exec "$here/confirm.sh" "$@" ;;
test) shift; exec "$here/test.sh" "$@" ;;
help|-h|--help) usage ;;
"") usage >&2; echo "hvo vm: no stream given" >&2; exit 2 ;;
*) exec "$here/run.sh" "$@" ;;
esac
