#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs as root in ONE VM of the target (test/integration/safety/vm-proof.test.ts). Loads, one
# after the other, livepatches that `hotpatch build` refuses, built anyway with the test-only
# HOTPATCH_TEST_BUILD_REFUSED, and prints what the kernel does before and after each one as
# `<case> <before|after> <what>: <value>` lines. Each patch is disabled and removed before the
# next, so the kernel is back to normal in between. Case 07 must come last: it oopses the
# kernel, which ends the VM (oops=panic).
# Case 20 breaks every exec while its patch is active: from its insmod to its removal only
# bash builtins run (the waits read sysfs with `read` and sleep on a FIFO).
# Usage: vm-proof-guest.sh MODULES_DIR NNP_HELPER ID=KO... (a module's name is its file's)
set -u
modules=$1 nnp_helper=$2
shift 2
bm=/proc/sys/fs/binfmt_misc
work=$(mktemp -d)
chmod 755 "$work"
mkfifo "$work/nap"
exec 7<>"$work/nap"
nap() { read -r -t "$1" -u 7 _ || true; } # a sleep that needs no exec
# wait_until SECONDS CONDITION...: polls every 0.1 s.
wait_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		nap 0.1
	done
	return 1
}
settled() {
	local t
	read -r t <"/sys/kernel/livepatch/$1/transition" && [ "$t" = 0 ]
}
gone() { [ ! -d "/sys/kernel/livepatch/$1" ]; }
name_of() {
	local n=${1##*/}
	echo "${n%.ko}"
}
# patch_on CASE KO: insmod, then wait for every task to switch to the patched code.
patch_on() {
	local name
	name=$(name_of "$2")
	insmod "$2" || { echo "$1 insmod of $2 failed"; exit 10; }
	wait_until 60 settled "$name" || { echo "$1 the transition of $name did not finish"; exit 11; }
	echo "$1 patched: $name"
}
# patch_off CASE KO: disable, wait for the unpatching transition, rmmod.
patch_off() {
	local name
	name=$(name_of "$2")
	echo 0 >"/sys/kernel/livepatch/$name/enabled"
	wait_until 60 gone "$name" || { echo "$1 the unpatching of $name did not finish"; exit 12; }
	rmmod "$name" || exit 13
	echo "$1 unpatched: $name"
}
# handler FILE: who ran FILE: "cat" when a binfmt_misc entry (interpreter /bin/cat) did, else
# what bash said (execve failed with ENOEXEC, so bash ran the text as a shell script).
handler() {
	local out
	out=$("$1" 2>&1)
	if [ "$out" = HP-PAYLOAD ]; then echo cat; else echo "none (${out##*: })"; fi
}
# entry NAME: the status file of a binfmt_misc entry, on one line.
entry() { tr '\n' ' ' <"$bm/$1"; }
# exec_true: /bin/true run from a forked bash: its status, and bash's message if any.
exec_true() {
	local out
	out=$(/bin/true 2>&1)
	echo "status=$? ${out##*: }"
}
binfmt_misc_ready() {
	[ -e "$bm/register" ] && return 0
	insmod "$modules/kernel/fs/binfmt_misc.ko" || exit 2
	mount -t binfmt_misc binfmt_misc "$bm" || exit 3
}
# payload EXT: an executable text file x.EXT that cat prints as HP-PAYLOAD.
payload() {
	printf 'HP-PAYLOAD\n' >"$work/x.$1"
	chmod 755 "$work/x.$1"
	echo "$work/x.$1"
}

# 10: binfmt_misc's flag bits renumbered (Enabled 0 -> 1, Magic 1 -> 2).
case_10() {
	local x y
	binfmt_misc_ready
	x=$(payload hpx) y=$(payload hpy)
	echo ':hp_before:E::hpx::/bin/cat:' >"$bm/register"
	echo "10 before entry: $(entry hp_before)"
	echo "10 before runs: $(handler "$x")"
	patch_on 10 "$1"
	echo ':hp_after:E::hpy::/bin/cat:' >"$bm/register"
	echo "10 after entry: $(entry hp_before)"
	echo "10 after runs: $(handler "$x")"
	echo "10 after new-entry: $(entry hp_after)"
	echo "10 after new-runs: $(handler "$y")"
	patch_off 10 "$1"
	echo -1 >"$bm/hp_before"
	echo -1 >"$bm/hp_after"
}

# 22: binfmt_misc's writable static `enabled` replaced by a new `misc_disabled`.
case_22() {
	local x
	binfmt_misc_ready
	x=$(payload hpz)
	echo ':hp_status:E::hpz::/bin/cat:' >"$bm/register"
	echo 0 >"$bm/status"
	echo "22 before status: $(cat "$bm/status")"
	echo "22 before runs: $(handler "$x")"
	patch_on 22 "$1"
	echo "22 after status: $(cat "$bm/status")"
	echo "22 after runs: $(handler "$x")"
	patch_off 22 "$1"
	echo 1 >"$bm/status"
	echo -1 >"$bm/hp_status"
}

# 16: PFA_NO_NEW_PRIVS renumbered. The helper, as user nobody with no_new_privs set, runs a
# setuid-root copy of id before the patch and again after it (it prints the `16 ...` lines).
case_16() {
	local id=$work/id-setuid
	cp /usr/bin/id "$id"
	chmod 4755 "$id"
	mkfifo -m 666 "$work/ready" "$work/go"
	"$nnp_helper" "$id" "$work/ready" "$work/go" &
	read -r _ <"$work/ready"
	patch_on 16 "$1"
	echo go >"$work/go"
	wait $! || { echo "16 the helper failed"; exit 14; }
	patch_off 16 "$1"
}

# 20: exec's list of binary formats renamed (the module carries a new, empty list).
case_20() {
	echo "20 before exec: $(exec_true)"
	patch_on 20 "$1"
	echo "20 after exec: $(exec_true)"
	patch_off 20 "$1"
	echo "20 unpatched exec: $(exec_true)"
}

# 07: a field inserted in binfmt_misc's Node before magic, mask, interpreter, ...
case_07() {
	local x
	binfmt_misc_ready
	x=$(payload hpn)
	echo ':hp_node:E::hpn::/bin/cat:' >"$bm/register"
	echo "07 before entry: $(entry hp_node)"
	echo "07 before runs: $(handler "$x")"
	patch_on 07 "$1"
	echo "07 after entry: $(entry hp_node)"
	echo "07 after runs: (exec of a file its extension entry matches)"
	"$x"
	echo "07 after: the kernel survived"
}

# hotpatch load refuses a module built despite refusals (the first one given).
echo "load refused: $(hotpatch load "${1#*=}" 2>&1)"
for arg in "$@"; do
	"case_${arg%%=*}" "${arg#*=}"
done
