// SPDX-License-Identifier: GPL-2.0-only
// The script `hotpatch verify` runs inside the VM, and the parser of what it prints. The script
// is fixed text (inputs arrive as positional arguments, never spliced into it); each step
// prints one protocol line `HPSTEP <step> <ok|fail> <milliseconds> <detail>` so the host can
// report every step's time and the exact step that failed.

/** bash -c SCRIPT verify <ko> <patch name> <transition timeout s> [check command] */
export const VERIFY_GUEST_SCRIPT = `
ko=$1; name=$2; limit=$3; check=$4
now() { date +%s%3N; }
report() { echo "HPSTEP $1 $2 $(( $(now) - $3 )) $4"; }
fail() { report "$1" fail "$2" "$3"; exit 1; }
wait_transition() {
  local i=0
  while [ "$(cat /sys/kernel/livepatch/$name/transition 2>/dev/null || echo 0)" != 0 ]; do
    i=$((i + 1)); [ "$i" -gt $((limit * 10)) ] && return 1; sleep 0.1
  done
}
t=$(now)
out=$(insmod "$ko" 2>&1) || fail load "$t" "insmod failed: $out"
[ -d /sys/kernel/livepatch/$name ] || fail load "$t" "no /sys/kernel/livepatch/$name after insmod"
report load ok "$t"
t=$(now)
wait_transition || fail transition "$t" "the patching transition did not finish within $limit s"
[ "$(cat /sys/kernel/livepatch/$name/enabled)" = 1 ] || fail transition "$t" "the patch is not enabled"
report transition ok "$t"
if [ -n "$check" ]; then
  t=$(now)
  echo "HPCHECK-BEGIN"
  bash -c "$check"; rc=$?
  echo "HPCHECK-END"
  [ "$rc" = 0 ] || fail check "$t" "the check exited with status $rc"
  report check ok "$t"
fi
t=$(now)
echo 0 > /sys/kernel/livepatch/$name/enabled || fail disable "$t" "writing 0 to enabled failed"
i=0
while [ -d /sys/kernel/livepatch/$name ]; do
  i=$((i + 1)); [ "$i" -gt $((limit * 10)) ] && fail disable "$t" "the unpatching transition did not finish within $limit s"; sleep 0.1
done
report disable ok "$t"
t=$(now)
out=$(rmmod "$name" 2>&1) || fail unload "$t" "rmmod failed: $out"
report unload ok "$t"
t=$(now)
grep -q "^$name " /proc/modules && fail unload "$t" "the module is still listed in /proc/modules"
echo "HPDONE"
`;

export type VerifyStepName = "load" | "transition" | "check" | "disable" | "unload";

export interface VerifyStep {
  step: VerifyStepName;
  ok: boolean;
  ms: number;
  detail: string;
}

/** Protocol lines of the guest's output, in order. */
export function parseVerifyOutput(output: string): {
  steps: VerifyStep[];
  done: boolean;
  checkOutput: string;
} {
  const steps: VerifyStep[] = [];
  let done = false;
  const check: string[] = [];
  let inCheck = false;
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "HPCHECK-BEGIN") inCheck = true;
    else if (line === "HPCHECK-END") inCheck = false;
    else if (inCheck) check.push(line);
    else if (line === "HPDONE") done = true;
    else {
      const m = /^HPSTEP (\w+) (ok|fail) (-?\d+) ?(.*)$/.exec(line);
      if (m)
        steps.push({ step: m[1] as VerifyStepName, ok: m[2] === "ok", ms: Number(m[3]), detail: m[4] ?? "" });
    }
  }
  return { steps, done, checkOutput: check.join("\n") };
}
