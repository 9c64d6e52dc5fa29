// SPDX-License-Identifier: GPL-2.0-only
// The runtime: operating livepatches on a live system. Imports only src/util and src/errors
// (it runs on production servers without a compiler, kernel tree or QEMU).
export { type LoadAllResult, loadAll, SKIP_SWITCH, skipRequested } from "./boot.ts";
export { type RuntimeEnv, runtimeEnv } from "./env.ts";
export { type LoadOptions, type LoadResult, loadPatch } from "./load.ts";
export {
  checkLoadable,
  type ModuleFile,
  parseModinfo,
  type ReplaceMode,
  readModuleFile,
} from "./module-file.ts";
export {
  type DroppedFixes,
  describeDropped,
  type FixRecord,
} from "./provenance.ts";
export { withRuntimeLock } from "./runtime-lock.ts";
export { type PatchStatus, readStatus, type SystemStatus } from "./status.ts";
export {
  type InstalledPatch,
  type InstallResult,
  installPatch,
  listInstalled,
  storeReleases,
  uninstallPatch,
} from "./store.ts";
export { readPatches } from "./sysfs.ts";
export { decodeTaint, type Taint } from "./taint.ts";
export { type UnloadResult, unloadPatch } from "./unload.ts";
