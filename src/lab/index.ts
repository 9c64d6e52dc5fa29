// SPDX-License-Identifier: GPL-2.0-only
// The lab: real Debian 12 guests of a target kernel, for rehearsing packages and rollouts.
export { ensureLabImage, type LabImage } from "./image.ts";
export { INVENTORY_GROUP } from "./inventory.ts";
export { checkLabOptions, Lab, type LabHost, type LabInfo, type LabOptions, MAX_HOSTS } from "./lab.ts";
