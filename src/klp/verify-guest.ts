// SPDX-License-Identifier: GPL-2.0-only
// The script `hotpatch verify` runs inside the VM, and the parser of what it prints. The script
// is fixed text (inputs arrive as positional arguments, never spliced into it); each step
// prints one protocol line `HPSTEP <step> <ok|fail> <milliseconds> <detail>` so the host can
// report every step's time and the exact step that failed.

/**
 * bash -c SCRIPT verify <ko> <patch name> <transition timeout s> <check command or ""> [<old ko> <old name>]
 *
 * With an old module (an upgrade): load OLD, check, load NEW (its replace transition retires
 * OLD), see OLD's patch gone and remove its module, check, then disable and unload NEW.
 * Steps about OLD end in `-old`; NEW's steps have the names of a plain verify.
 */
export const VERIFY_GUEST_SCRIPT = `
ko=$1; name=$2; limit=$3; check=$4; oldko=\${5:-}; oldname=\${6:-}
now() { date +%s%3N; }
report() { echo "HPSTEP $1 $2 $(( $(now) - $3 )) $4"; }
fail() { report "$1" fail "$2" "$3"; exit 1; }
# until SECONDS CONDITION...: polls every 0.1 s; fails after SECONDS.
until_true() {
  local i=0 n=$(($1 * 10)); shift
  until "$@"; do i=$((i + 1)); [ "$i" -gt "$n" ] && return 1; sleep 0.1; done
}
settled() { [ "$(cat /sys/kernel/livepatch/$1/transition 2>/dev/null || echo 0)" = 0 ]; }
gone() { [ ! -d /sys/kernel/livepatch/$1 ]; }
released() { [ "$(cat /sys/module/$1/refcnt 2>/dev/null || echo 0)" = 0 ]; }
# load_patch STEP-SUFFIX KO NAME: insmod, then wait for the patching transition.
load_patch() {
  local sfx=$1 k=$2 n=$3 out
  t=$(now)
  out=$(insmod "$k" 2>&1) || fail load$sfx "$t" "insmod failed: $out"
  [ -d /sys/kernel/livepatch/$n ] || fail load$sfx "$t" "no /sys/kernel/livepatch/$n after insmod"
  report load$sfx ok "$t"
  t=$(now)
  until_true "$limit" settled "$n" || fail transition$sfx "$t" "the patching transition did not finish within $limit s"
  [ "$(cat /sys/kernel/livepatch/$n/enabled)" = 1 ] || fail transition$sfx "$t" "the patch is not enabled"
  report transition$sfx ok "$t"
}
# run_check STEP-SUFFIX: the behaviour check, its output framed.
run_check() {
  [ -n "$check" ] || return 0
  t=$(now)
  echo "HPCHECK-BEGIN check$1"
  bash -c "$check"; rc=$?
  echo "HPCHECK-END"
  [ "$rc" = 0 ] || fail check$1 "$t" "the check exited with status $rc"
  report check$1 ok "$t"
}
if [ -n "$oldko" ]; then
  load_patch -old "$oldko" "$oldname"
  run_check -old
fi
load_patch "" "$ko" "$name"
if [ -n "$oldko" ]; then
  t=$(now)
  until_true "$limit" gone "$oldname" || fail retire-old "$t" "$oldname is still registered after the transition of $name: $name is not a replace-mode (cumulative) patch"
  until_true "$limit" released "$oldname" || fail retire-old "$t" "the kernel did not release the module of the retired $oldname"
  out=$(rmmod "$oldname" 2>&1) || fail retire-old "$t" "rmmod of the retired $oldname failed: $out"
  report retire-old ok "$t" "$oldname retired and its module removed"
fi
run_check ""
t=$(now)
echo 0 > /sys/kernel/livepatch/$name/enabled || fail disable "$t" "writing 0 to enabled failed"
until_true "$limit" gone "$name" || fail disable "$t" "the unpatching transition did not finish within $limit s"
report disable ok "$t"
t=$(now)
out=$(rmmod "$name" 2>&1) || fail unload "$t" "rmmod failed: $out"
report unload ok "$t"
t=$(now)
grep -q "^$name " /proc/modules && fail unload "$t" "the module is still listed in /proc/modules"
echo "HPDONE"
`;

export type VerifyStepName =
  | "load-old"
  | "transition-old"
  | "check-old"
  | "load"
  | "transition"
  | "retire-old"
  | "check"
  | "disable"
  | "unload";

export interface VerifyStep {
  step: VerifyStepName;
  ok: boolean;
  ms: number;
  detail: string;
  /** What a check step printed. */
  output?: string;
}

/** Protocol lines of the guest's output, in order; `checkOutput` is what the (new patch's) check printed. */
export function parseVerifyOutput(output: string): {
  steps: VerifyStep[];
  done: boolean;
  checkOutput: string;
} {
  const steps: VerifyStep[] = [];
  let done = false;
  const checks = new Map<string, string[]>();
  let inCheck: string[] | undefined;
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const begin = /^HPCHECK-BEGIN ?(.*)$/.exec(line);
    if (begin && !inCheck) {
      inCheck = [];
      checks.set(begin[1] || "check", inCheck);
    } else if (line === "HPCHECK-END") inCheck = undefined;
    else if (inCheck) inCheck.push(line);
    else if (line === "HPDONE") done = true;
    else {
      const m = /^HPSTEP ([\w-]+) (ok|fail) (-?\d+) ?(.*)$/.exec(line);
      if (!m) continue;
      const step = m[1] as VerifyStepName;
      const printed = checks.get(step);
      steps.push({
        step,
        ok: m[2] === "ok",
        ms: Number(m[3]),
        detail: m[4] ?? "",
        ...(printed ? { output: printed.join("\n") } : {}),
      });
    }
  }
  return { steps, done, checkOutput: (checks.get("check") ?? []).join("\n") };
}
