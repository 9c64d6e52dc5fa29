// SPDX-License-Identifier: GPL-2.0-only
// Turns a module plan into a loadable .ko: writes the stub and the prebuilt patch objects into
// an external-module directory, links them with kbuild against the prepared target (so the
// vermagic and symbol CRCs are the target's), converts the `.klp.sym.*` references into
// livepatch relocations, and optionally signs the result with the tree's scripts/sign-file.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ElfObject, readElf, writeElf } from "../elf/index.ts";
import { UserError } from "../errors/user-error.ts";
import { buildExternalModule } from "../kernel/kbuild.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { run } from "../util/run.ts";
import { convertKlpRelocations, type KlpRelocSummary } from "./klp-relocs.ts";
import { generateStub } from "./stub.ts";
import type { ModulePlan } from "./types.ts";

export interface SignOptions {
  key: string;
  cert: string;
  hash?: string;
}

export interface PackageOptions {
  /** The prepared kernel tree. */
  tree: string;
  /** Scratch directory for the kbuild module dir (created, emptied). */
  workDir: string;
  outPath: string;
  logFile?: string;
  sign?: SignOptions;
  /** Directory holding include/hotpatch/klp-helpers.h etc., not needed by the stub itself. */
  /** Called with the linked module (klp relocations converted) before anything is written;
   * throws to refuse it (the IBT check, src/klp/ibt-running.ts). */
  check?: (ko: ElfObject) => void;
}

export interface PackageResult {
  ko: string;
  klp: KlpRelocSummary;
  signed: boolean;
}

/** Kbuild for a composite module whose parts are the stub and prebuilt (`_shipped`) objects. */
function kbuildFile(plan: ModulePlan, parts: string[]): string {
  return [`obj-m := ${plan.name}.o`, `${plan.name}-y := ${parts.join(" ")}`, ""].join("\n");
}

export async function packageModule(plan: ModulePlan, options: PackageOptions): Promise<PackageResult> {
  const dir = join(options.workDir, "module");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "klp_stub.c"), generateStub(plan));
  const parts = ["klp_stub.o"];
  plan.patchObjects.forEach((obj, i) => {
    const base = `klp_patch_${i}.o`;
    // kbuild 6.1 copies `X_shipped` to X; modpost wants a .cmd file for every object it
    // links (it reads source lists from them), so an empty one stands in.
    writeFileSync(join(dir, `${base}_shipped`), readFileSync(obj));
    writeFileSync(join(dir, `.${base}.cmd`), "");
    parts.push(base);
  });
  writeFileSync(join(dir, "Kbuild"), kbuildFile(plan, parts));
  const kos = await buildExternalModule({
    tree: options.tree,
    moduleDir: dir,
    logFile: options.logFile,
    // The work directory's name is unique per build: kept out of the debug info (and so out of
    // the build ID), the same fix on the same target gives the same module, byte for byte.
    makeVars: { KCFLAGS: `-ffile-prefix-map=${dir}=.` },
  });
  const built = kos.find((k) => k.endsWith(`/${plan.name}.ko`));
  if (!built) throw new UserError(`Kbuild did not produce ${plan.name}.ko (see ${options.logFile ?? dir}).`);
  const ko = readElf(readFileSync(built));
  const klp = convertKlpRelocations(ko, {
    patched: new Set(plan.objects.map((o) => o.name)),
    sectionObject: plan.sectionObjects ?? new Map(),
  });
  options.check?.(ko);
  const finalPath = join(dir, "final.ko");
  writeFileSync(finalPath, writeElf(ko));
  let signed = false;
  if (options.sign) {
    const signFile = join(options.tree, "scripts", "sign-file");
    if (!existsSync(signFile))
      throw new UserError(
        `${signFile} is missing: the target tree was not prepared with module signing support.`,
      );
    await run(signFile, [options.sign.hash ?? "sha256", options.sign.key, options.sign.cert, finalPath], {
      logFile: options.logFile,
      what: "signing the module",
    });
    signed = true;
  }
  writeFileAtomic(options.outPath, readFileSync(finalPath));
  return { ko: options.outPath, klp, signed };
}
