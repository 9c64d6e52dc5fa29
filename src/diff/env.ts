// SPDX-License-Identifier: GPL-2.0-only
// Special-section entry sizes from the environment, named as kpatch names them
// (BUG_STRUCT_SIZE, JUMP_STRUCT_SIZE, EX_STRUCT_SIZE, ALT_STRUCT_SIZE, PARA_STRUCT_SIZE,
// STATIC_CALL_STRUCT_SIZE), for objects of kernels whose layouts detection cannot tell apart.
const names = [
  "BUG_STRUCT_SIZE",
  "JUMP_STRUCT_SIZE",
  "EX_STRUCT_SIZE",
  "ALT_STRUCT_SIZE",
  "PARA_STRUCT_SIZE",
  "STATIC_CALL_STRUCT_SIZE",
];

export function entrySizesFromEnv(env: Record<string, string | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && /^\d+$/.test(value)) out[name] = Number(value);
  }
  return out;
}
