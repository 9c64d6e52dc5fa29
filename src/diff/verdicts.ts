// SPDX-License-Identifier: GPL-2.0-only
// Refusals, worded for a kernel engineer (the vocabulary of kpatch's patch author guide):
// what cannot be live-patched, and what to do instead.
import type { Refusal } from "./types.ts";

const shadowSuggestion =
  "keep the existing data as it is; add new fields with shadow variables (klp_shadow_get_or_alloc) and change initialised state from a pre_patch/post_patch callback";

export function unsafeData(name: string, detail: string, section: string): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `existing data ${name} (${section}) changed: ${detail}; the running kernel keeps its own copy, already initialised and in use`,
    suggestion: shadowSuggestion,
  };
}

export function movedState(name: string, gone: string, users: string[]): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `the fix replaces writable data ${gone} with new data ${name} (used by ${users.join(", ")}): the patch would carry ${name} fresh, at its initial value, while the running kernel's ${gone} holds the state set before the patch (registered entries, settings), which the patched code would no longer see`,
    suggestion:
      "keep the existing object and its name; add new state in a shadow variable, or move the old state over in a pre_patch/post_patch callback",
  };
}

export function globalConstant(name: string, detail: string): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `global read-only data ${name} changed (${detail}): other units of the running kernel refer to their own copy and keep using the old one, so the fix would be applied only in this unit's patched functions`,
    suggestion:
      "change the code that uses it in every unit (or give the fixed table a new name that the patched functions use), or keep the table and fix its users",
  };
}

export function orphanConstant(name: string, detail: string): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `read-only data ${name} changed (${detail}) but no function of the patch uses it: the running kernel keeps using its copy`,
    suggestion:
      "change the code that uses it so a replaced function refers to the new constant, or update it from a callback",
  };
}

export function changedOpsTable(name: string, detail: string, section: string): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `ops table ${name} (${section}) changed: ${detail}; objects the running kernel already created point to its copy of the table (e.g. sb->s_op, file->f_op) and would keep the old functions, while new ones would get the patch's copy`,
    suggestion:
      "patch the functions the table points to instead of the table (a new member needs a callback that updates existing objects, or cannot be live-patched)",
  };
}

export function initCode(name: string, section: string): Refusal {
  return {
    kind: "init-code",
    name,
    reason: `${name} is ${section.startsWith(".exit") ? "__exit" : "__init"} code (${section}) and changed: init code already ran at boot and is freed, exit code never runs for built-in code`,
    suggestion: "do the one-time work of the fix from a livepatch pre_patch/post_patch callback",
  };
}

export function noFentry(name: string): Refusal {
  return {
    kind: "no-fentry",
    name,
    reason: `${name} changed but has no __fentry__ call (notrace, noinstr, or built without ftrace, e.g. lib/): ftrace cannot redirect it`,
    suggestion:
      "patch its callers instead (change them to call a new copy), or refuse the fix for live patching",
  };
}

export function noFentryUnreached(name: string): Refusal {
  return {
    kind: "no-fentry",
    name,
    reason: `${name} changed and has no __fentry__ call, and neither has any function of this unit that calls it (noinstr/notrace code entered from assembly or other units): a new copy would never be called, so the fix would silently not apply`,
    suggestion: "fix it where a redirectable function calls it, or refuse the fix for live patching",
  };
}

export function orphanChange(name: string): Refusal {
  return {
    kind: "orphan-change",
    name,
    reason: `section ${name} changed but belongs to no function or variable (assembly or unnamed code/data): there is nothing to redirect`,
  };
}

export function specialEntry(name: string, reason: string): Refusal {
  return {
    kind: "special-section",
    name,
    reason,
    suggestion:
      "use static_key_enabled() / a plain call instead of the jump label or static call in the patched code",
  };
}

export function unsupported(name: string, reason: string): Refusal {
  return { kind: "unsupported", name, reason };
}

/** A struct, union or typedef whose layout changed (evidence from the debug information). */
export function changedLayout(name: string, summary: string): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `the layout of ${name} changed (${summary}): the running kernel holds instances of it laid out the old way, and the patched code would read and write them with the new one`,
    suggestion: `keep ${name} as it is; hold new fields in shadow variables (klp_shadow_get_or_alloc) and convert existing state from a pre_patch/post_patch callback`,
  };
}

/** An enum whose existing constants changed value. */
export function changedEnumValues(name: string, summary: string): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `constants of ${name} changed value (${summary}): values the running kernel has already stored (states, flag bits, array indices) would mean something else to the patched code`,
    suggestion:
      "keep every existing constant's value (add new constants after the last one, or give them explicit values), or convert stored values from a pre_patch callback",
  };
}

/** A global or file-scope variable whose type changed. */
export function changedVariableType(name: string, summary: string): Refusal {
  return {
    kind: "unsafe-data",
    name,
    reason: `the type of ${name} changed (${summary}): the running kernel's copy is laid out the old way, already initialised and in use`,
    suggestion: shadowSuggestion,
  };
}

/** A non-static function's prototype changed and callers outside the patch may call it. */
export function changedPrototype(
  name: string,
  before: string,
  after: string,
  details: string,
  why: string,
): Refusal {
  return {
    kind: "changed-interface",
    name,
    reason: `the prototype of ${name} changed (${details}): \`${before}\` -> \`${after}\`; ${why}, and the livepatch would send their calls to the new code with the old arguments`,
    suggestion:
      "keep the old prototype and add a new function with the new one for the patched callers, or patch every caller in the same livepatch (every unit that calls it, none taking its address, none exporting it)",
  };
}
