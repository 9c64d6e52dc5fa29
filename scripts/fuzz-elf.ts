// SPDX-License-Identifier: GPL-2.0-only
// The long fuzz run of the ELF reader/writer: `npx tsx scripts/fuzz-elf.ts [cases] [seed]`.
// Mutates and truncates every object of the peer corpus (and any .o given in
// HOTPATCH_FUZZ_OBJECTS, colon-separated); each case must parse (then dump, write and read
// back) or throw ElfError. Objects with debug information get half their cases in the debug
// sections: the DWARF reader and the layout comparison must finish or throw ElfError. A
// failing input is saved to the temp dir and the run exits 1.
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readElf } from "../src/elf/index.ts";
import { peerObjects } from "../test/unit/elf/helpers.ts";
import { mutate, mutateDebug, random, runCase, runDwarfCase } from "../test/unit/elf/mutate.ts";

const cases = Number(process.argv[2] ?? 20000);
const seed = Number(process.argv[3] ?? Date.now() % 0xffffffff);
const extra = (process.env.HOTPATCH_FUZZ_OBJECTS ?? "").split(":").filter(Boolean);
const files = [...peerObjects(), ...extra];
if (files.length === 0) {
  console.error("fuzz-elf: no objects (peer corpus missing and HOTPATCH_FUZZ_OBJECTS empty)");
  process.exit(1);
}
const inputs = files.map((f) => readFileSync(f));
// Objects with debug information also get half their cases aimed at the DWARF reader.
const withDwarf = new Set<Uint8Array>(inputs.filter((b) => readElf(b).sectionByName(".debug_info")));
const rand = random(seed);
const counts = { parsed: 0, rejected: 0 };
const started = performance.now();
let slowest = 0;
for (let i = 0; i < cases; i++) {
  const input = inputs[Math.floor(rand() * inputs.length)] as Uint8Array;
  const dwarf = withDwarf.has(input) && rand() < 0.5;
  const bytes = dwarf ? mutateDebug(input, rand) : mutate(input, rand);
  const t = performance.now();
  try {
    counts[dwarf ? runDwarfCase(input, bytes) : runCase(bytes)]++;
  } catch (error) {
    const saved = join(tmpdir(), `fuzz-elf-${seed}-${i}.o`);
    writeFileSync(saved, bytes);
    console.error(`case ${i} (seed ${seed}) failed; input saved to ${saved}`);
    console.error(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  }
  slowest = Math.max(slowest, performance.now() - t);
  if ((i + 1) % 5000 === 0)
    console.log(`${i + 1} cases: ${counts.parsed} parsed, ${counts.rejected} rejected`);
}
const seconds = (performance.now() - started) / 1000;
console.log(`seed ${seed}: ${cases} cases over ${files.length} objects in ${seconds.toFixed(1)} s`);
console.log(
  `${counts.parsed} parsed, ${counts.rejected} rejected with ElfError, 0 other errors; slowest case ${slowest.toFixed(1)} ms`,
);
