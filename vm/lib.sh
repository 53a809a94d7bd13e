# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash disable=SC2034
# (SC2034: the scripts that source this file read VM_KERNEL, VM_KLABEL,
# VM_BOOT_STATUS, VM_BOOT_SECONDS and VM_ACCEL.)
# vm/lib.sh - sourced by the vm/ scripts: packages, kernel images, the agent,
# the initramfs, one boot of QEMU with no orphan ever.  Exit codes follow the
# project's rule (2 = usage/input/IO error, 130 = interrupted).

vm_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vm_build=${HVO_BUILD_ROOT:-$vm_top/build}/vm
vm_pkgs=(qemu-system-x86 busybox-static libc6-dev gcc python3)
VM_QEMU_PID=
VM_CHILD=
VM_TMP=()

vm_die() { echo "hvo vm: $*" >&2; exit 2; }

vm_as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else vm_die "need root (or sudo) for: $*"
	fi
}

vm_install_packages() {
	local missing=() p
	for p in "${vm_pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	echo "hvo vm: installing ${missing[*]}" >&2
	vm_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	vm_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		vm_die "apt-get install ${missing[*]} failed"
}

# Kill QEMU's process group (it runs under setsid).
vm_kill_qemu() {
	local pid=$VM_QEMU_PID
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	VM_QEMU_PID=
}

# vm_sub OUT CMD... : run a vm/ script in the background with its output in
# OUT and wait, so that a signal reaches our trap at once (a foreground
# child would delay it) and the trap can pass it on (vm_cleanup).
vm_sub() {
	local out=$1 rc
	shift
	"$@" >"$out" 2>&1 &
	VM_CHILD=$!
	wait "$VM_CHILD"
	rc=$?
	VM_CHILD=
	return $rc
}

# ... and stop a vm/ script we wait for (it kills its own QEMU), and remove
# the temporaries.
vm_cleanup() {
	if [ -n "$VM_CHILD" ] && kill -0 "$VM_CHILD" 2>/dev/null; then
		kill -TERM "$VM_CHILD" 2>/dev/null
		wait "$VM_CHILD" 2>/dev/null
	fi
	VM_CHILD=
	vm_kill_qemu
	[ ${#VM_TMP[@]} = 0 ] || rm -rf "${VM_TMP[@]}"
	VM_TMP=()
}

vm_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# Every entry script calls this first.
vm_traps() {
	trap 'vm_cleanup; echo "hvo vm: interrupted" >&2; trap - EXIT; exit 130' INT TERM
	trap 'vm_cleanup' EXIT
}

# ROLE (current|control|old) -> the pinned version from vm/kernels.txt
vm_pinned() {
	awk -v r="$1" '$1 == r { print $2 }' "$vm_top/vm/kernels.txt"
}

vm_default_kernels() {
	awk '!/^#/ && NF == 2 { print $2 }' "$vm_top/vm/kernels.txt"
}

# A bzImage has "HdrS" at offset 0x202.
vm_is_bzimage() {
	[ -f "$1" ] && [ -s "$1" ] && [ "$(dd if="$1" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ]
}

# apt-get download + unpack /boot of linux-image-VERSION into build/vm/images/VERSION/
vm_fetch() {
	local v=$1 dir=$vm_build/images/$1 deb
	[ -f "$dir/boot/vmlinuz-$v" ] && return 0
	mkdir -p "$vm_build/debs" "$dir" || vm_die "cannot create $dir"
	deb=$(ls "$vm_build/debs/linux-image-${v}_"*.deb 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		echo "hvo vm: apt-get download linux-image-$v" >&2
		(cd "$vm_build/debs" && apt-get download "linux-image-$v" >/dev/null 2>"$vm_build/debs/download.log") ||
			vm_die "cannot download linux-image-$v (apt-get download failed; see $vm_build/debs/download.log)"
		deb=$(ls "$vm_build/debs/linux-image-${v}_"*.deb 2>/dev/null | head -1)
	fi
	[ -n "$deb" ] || vm_die "no package file for linux-image-$v"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" ./boot || vm_die "cannot unpack $deb"
	[ -f "$dir/boot/vmlinuz-$v" ] || vm_die "$deb has no /boot/vmlinuz-$v"
}

# --kernel ARG (a role, a pinned or other Debian version, or a bzImage path):
# sets VM_KERNEL (the image) and VM_KLABEL (its name in verdicts and reports).
vm_resolve_kernel() {
	local arg=$1 v
	case "$arg" in
	current|control|old) arg=$(vm_pinned "$arg") ;;
	esac
	if [[ "$arg" == */* ]] || [ -f "$arg" ]; then
		[ -f "$arg" ] || vm_die "kernel image $arg does not exist"
		vm_is_bzimage "$arg" || vm_die "kernel image $arg is not a bootable x86 bzImage (no HdrS header)"
		VM_KERNEL=$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")
		VM_KLABEL=$(basename "$arg")
		return 0
	fi
	[[ "$arg" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || vm_die "--kernel: '$arg' is neither a file nor a Debian kernel version"
	v=$arg
	vm_fetch "$v"
	VM_KERNEL=$vm_build/images/$v/boot/vmlinuz-$v
	vm_is_bzimage "$VM_KERNEL" || vm_die "kernel image $VM_KERNEL is not a bootable x86 bzImage"
	VM_KLABEL=$v
}

vm_build_agent() {
	local out=$vm_build/agent src=$vm_top/vm/agent.c
	mkdir -p "$vm_build" || vm_die "cannot create $vm_build"
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
		gcc -static -O2 -Wall -Wextra -Werror -o "$out.tmp" "$src" 2>"$vm_build/agent-build.log" ||
			{ cat "$vm_build/agent-build.log" >&2; vm_die "building the agent failed"; }
		mv "$out.tmp" "$out"
	fi
}

# vm_initramfs OUT FIRST STREAM_FILE... : busybox + agent as /agent + the
# streams as /streams/NNNN-NAME.ops, NNNN counting from FIRST (run in that
# order), cpio newc + gzip.
vm_initramfs() {
	local out=$1 i=$2 root f
	shift 2
	root=$(mktemp -d "$vm_build/initramfs.XXXXXX") || vm_die "cannot create a staging directory in $vm_build"
	VM_TMP+=("$root")
	mkdir -p "$root"/{bin,proc,sys,dev,streams}
	cp /bin/busybox "$root/bin/busybox" || vm_die "no /bin/busybox (package busybox-static)"
	cp "$vm_build/agent" "$root/agent"
	cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
if /bin/busybox grep -qw hvo.shell /proc/cmdline; then exec /bin/busybox sh; fi
# the agent speaks on ttyS1, the kernel console is ttyS0 (vm_boot)
exec /agent /streams >/dev/ttyS1 2>&1
EOF
	chmod +x "$root/init"
	for f in "$@"; do
		cp "$f" "$root/streams/$(printf %04d $i)-$(basename "$f")"
		i=$((i + 1))
	done
	(cd "$root" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$out.tmp") &&
		mv "$out.tmp" "$out" || vm_die "cannot write the initramfs $out"
}

# QEMU accelerator: HVO_VM_ACCEL=tcg|kvm forces one; otherwise KVM is probed
# once per host boot (a kernel that dies in a paravirtual KVM's instruction
# emulator, or that does not reach the agent in 20 s, means TCG) and cached.
vm_accel_args() {
	case "${VM_ACCEL:-}" in
	kvm) echo "-accel kvm -cpu host" ;;
	# One TCG thread for both vCPUs.  With thread=multi, CI run 20 saw a
	# stock 6.12.113 die at 1.1 s of boot, before any op: "Fatal exception
	# in interrupt" with RIP one byte into a patched 2-byte NOP, the mark of
	# an int3 left by text_poke_bp that the other vCPU's thread still ran.
	# Round-robin vCPUs see each code write at once, and boot as fast here.
	# HVO_VM_TCG_THREAD=multi gives the old behaviour.
	*) echo "-accel tcg,thread=${HVO_VM_TCG_THREAD:-single} -cpu max" ;;
	esac
}

vm_probe_accel() {
	local cache=$vm_build/accel boot_id kernel=$1 initrd=$2 con
	if [ -n "${HVO_VM_ACCEL:-}" ]; then VM_ACCEL=$HVO_VM_ACCEL; return 0; fi
	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)
	if [ -f "$cache" ] && [ "$(sed -n 1p "$cache")" = "$boot_id" ]; then
		VM_ACCEL=$(sed -n 2p "$cache"); return 0
	fi
	VM_ACCEL=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		con=$vm_build/accel-probe.console
		VM_ACCEL=kvm
		vm_boot "$kernel" "$initrd" "$con" 20 512M 0 "console=ttyS0 panic=-1 quiet nokaslr" '@@agent|emulation failure'
		if grep -q '@@agent' "$con.agent"; then VM_ACCEL=kvm; else VM_ACCEL=tcg; fi
		echo "hvo vm: KVM probe: $( [ $VM_ACCEL = kvm ] && echo usable || echo 'not usable, using TCG' )" >&2
	fi
	printf '%s\n%s\n' "$boot_id" "$VM_ACCEL" >"$cache"
}

# vm_boot KERNEL INITRD CONSOLE TIMEOUT MEM NUMA APPEND [STOP_REGEX]
# Sets VM_BOOT_STATUS (exited|timeout|stopped) and VM_BOOT_SECONDS.
vm_boot() {
	local kernel=$1 initrd=$2 con=$3 timeout=$4 mem=$5 numa=$6 append=$7 stop=${8:-} start now i
	local args=() numa_args=() mib per smp=2
	# shellcheck disable=SC2207
	args=($(vm_accel_args))
	if [ "$numa" -gt 0 ] 2>/dev/null; then
		mib=$(vm_mem_mib "$mem")
		per=$((mib / numa))
		for ((i = 0; i < numa; i++)); do
			numa_args+=(-object "memory-backend-ram,id=m$i,size=${per}M")
			if [ $i -lt 2 ]; then numa_args+=(-numa "node,nodeid=$i,memdev=m$i,cpus=$i")
			else numa_args+=(-numa "node,nodeid=$i,memdev=m$i"); fi
		done
		mem=$((per * numa))M
		smp=2,sockets=2,cores=1,threads=1   # one CPU per socket: nodes do not split a package
	fi
	start=$(vm_now_ms)
	: >"$con" && : >"$con.agent" || vm_die "cannot write $con"
	# Two UARTs: ttyS0 is the kernel console (QEMU's stdout, "$con"), ttyS1
	# the agent's protocol ("$con.agent").  On one shared UART a printk
	# from another CPU or a kworker can land inside a protocol line still
	# queued in the tty buffer, and the oracle loses that line.
	setsid qemu-system-x86_64 "${args[@]}" -m "$mem" -smp "$smp" "${numa_args[@]}" -nographic -no-reboot \
		-serial mon:stdio -serial "file:$con.agent" \
		-kernel "$kernel" -initrd "$initrd" -append "$append" </dev/null >"$con" 2>&1 &
	VM_QEMU_PID=$!
	VM_BOOT_STATUS=exited
	while kill -0 "$VM_QEMU_PID" 2>/dev/null; do
		now=$(vm_now_ms)
		if [ $((now - start)) -gt $((timeout * 1000)) ]; then
			VM_BOOT_STATUS=timeout
			break
		fi
		if [ -n "$stop" ] && cat "$con" "$con.agent" | grep -qE "$stop"; then
			VM_BOOT_STATUS=stopped
			break
		fi
		sleep 0.25
	done
	[ "$VM_BOOT_STATUS" = exited ] && wait "$VM_QEMU_PID" 2>/dev/null
	vm_kill_qemu
	now=$(vm_now_ms)
	VM_BOOT_SECONDS=$(( (now - start) / 1000 )).$(( (now - start) % 1000 / 100 ))
}

# SIZE (512M, 2G, 1536) -> MiB
vm_mem_mib() {
	local s=$1
	case "$s" in
	*[Gg]) echo $(( ${s%[Gg]} * 1024 )) ;;
	*[Mm]) echo "${s%[Mm]}" ;;
	*[!0-9]*|"") return 1 ;;
	*) echo "$s" ;;
	esac
}
