// SPDX-License-Identifier: GPL-2.0-only
// Reading kbuild's `.<name>.o.cmd` files: the exact command kbuild ran to make an object
// (compiler and flags, then post-compile steps such as objtool), split into argv arrays so
// they can be replayed without a shell.
import { normalize } from "node:path";

export interface UnitCommand {
  /** The compiler invocation, argv[0] first (e.g. `gcc`). */
  compile: string[];
  /** Later commands of the same recipe (objtool, ...), each an argv array. */
  post: string[][];
  /** The object path the recipe writes (relative to the tree), from `-o`. */
  output: string;
  /** The source it compiles (relative to the tree). */
  source: string;
  /** Built as part of a module (-DMODULE). */
  isModule: boolean;
  /** KBUILD_MODNAME (also set for built-in units: the name the unit would have as a module). */
  modName: string | undefined;
}

/** Undoes kbuild's escaping in .cmd files: `$$` is `$`, `$(pound)` is `#`. */
function unescapeMake(text: string): string {
  return text.replaceAll("$(pound)", "#").replaceAll("$$", "$");
}

/** Splits a POSIX shell command line into commands (at unquoted `;`, `&&`) of words. */
export function splitShell(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in command: ${line.slice(i, i + 40)}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string)) i++;
        word += line[i];
      }
      if (i >= line.length) throw new Error(`unterminated " in command: ${line.slice(0, 40)}`);
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === " " || c === "\t" || c === "\n") {
      endWord();
    } else if (c === ";") {
      endCommand();
    } else if (c === "&" && line[i + 1] === "&") {
      endCommand();
      i++;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** Parses the `cmd_<object> := ...` line of a .cmd file (`savedcmd_<object>` since Linux 6.3). */
export function parseUnitCommand(cmdFileText: string, object: string): UnitCommand {
  const prefixes = [`cmd_${object} := `, `savedcmd_${object} := `];
  const lines = cmdFileText.split("\n");
  const prefix = prefixes.find((p) => lines.some((l) => l.startsWith(p)));
  const line = prefix && lines.find((l) => l.startsWith(prefix));
  if (!prefix || !line) throw new Error(`no 'cmd_${object}' line in its .cmd file`);
  const commands = splitShell(unescapeMake(line.slice(prefix.length)));
  const compile = commands[0];
  if (!compile) throw new Error(`empty command for ${object}`);
  const oIndex = compile.indexOf("-o");
  const output = compile[oIndex + 1];
  const source = compile[compile.length - 1];
  if (oIndex < 0 || !output || !source)
    throw new Error(`cannot find -o and the source in the command for ${object}`);
  let modName: string | undefined;
  for (const word of compile) {
    const m = /^-DKBUILD_MODNAME=(.*)$/.exec(word);
    if (m) modName = (m[1] as string).replace(/^"|"$/g, "");
  }
  return {
    compile,
    post: commands.slice(1),
    output,
    source,
    isModule: compile.includes("-DMODULE"),
    modName,
  };
}

/** The .cmd file kbuild writes for an object: `dir/.name.o.cmd`. */
export function cmdFileOf(object: string): string {
  const slash = object.lastIndexOf("/");
  return slash < 0 ? `.${object}.cmd` : `${object.slice(0, slash)}/.${object.slice(slash + 1)}.cmd`;
}

/**
 * The compile + post commands retargeted to write `outputPath` instead of the tree's object:
 * the dependency-file option is dropped (it would write into the tree through the view's
 * symlinks) and every argument equal to the object path is replaced.
 */
export function retarget(command: UnitCommand, outputPath: string): string[][] {
  const compile = command.compile
    .filter((word) => !word.startsWith("-Wp,-MMD,") && !word.startsWith("-Wp,-MD,"))
    .map((word) => (word === command.output ? outputPath : word));
  const post = command.post.map((argv) => argv.map((word) => (word === command.output ? outputPath : word)));
  return [compile, ...post];
}

/** The tree-relative files of a `deps_X := \` list in a kbuild .cmd file, as the compiler
 * named them (`fs/iomap/../internal.h`): see parentRelative(). */
export function rawDepsOfCmdFile(cmdText: string): string[] {
  const reads: string[] = [];
  const start = cmdText.indexOf("\ndeps_");
  if (start < 0) return reads;
  for (const line of cmdText
    .slice(start + 1)
    .split("\n")
    .slice(1)) {
    const word = line.trim().replace(/\s*\\$/, "");
    if (word === "") break;
    if (word.startsWith("$(") || word.startsWith("/")) continue; // config markers, gcc's own headers
    reads.push(word.replace(/^\.\//, ""));
  }
  return reads;
}

/** The files a compile read that it reached through `..` (`fs/iomap/../internal.h`). */
export function parentRelative(rawReads: string[]): string[] {
  return rawReads.filter((r) => r.split("/").includes(".."));
}

/** The tree-relative files of a `deps_X := \` list in a kbuild .cmd file, normalized. */
export function depsOfCmdFile(cmdText: string): string[] {
  return rawDepsOfCmdFile(cmdText).map((r) => normalize(r)); // `fs/iomap/../internal.h` is fs/internal.h
}
