// SPDX-License-Identifier: GPL-2.0-only
// A test-only switch, never a command-line option: HOTPATCH_TEST_BUILD_REFUSED=<refusal kinds>
// makes `hotpatch build` put units refused for those kinds into the module anyway, so a test can
// show in a VM what the refused patch would have done to a running kernel
// (test/integration/safety/vm-proof.test.ts). Such a module records the kinds it was built
// despite in its modinfo (`hotpatch_unsafe=`), and `hotpatch load` refuses it unless the same
// switch covers them. The build reads the switch in src/build/unsafe-override.ts, the runtime
// in src/runtime/module-file.ts; both share the names here.

/** The environment variable: refusal kinds, comma-separated (e.g. `unsafe-data,no-fentry`). */
export const UNSAFE_BUILD_VAR = "HOTPATCH_TEST_BUILD_REFUSED";

/** The modinfo tag of a module built despite refusals; its value: the kinds, comma-separated. */
export const UNSAFE_MODINFO_TAG = "hotpatch_unsafe";

/** The kinds a comma-separated list names (empty for an unset or blank variable). */
export function unsafeKinds(value: string | undefined): string[] {
  const kinds = (value ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  return [...new Set(kinds)];
}
