// SPDX-License-Identifier: GPL-2.0-only
// The lab's Ansible inventory (INI): one group, `hotpatch_lab`, with every guest's loopback
// port, and the user, key and SSH options to reach them. Values are quoted the way Ansible's
// INI parser (shlex) reads them, so paths with spaces survive.
import { LAB_SSH_OPTIONS } from "./ssh.ts";

export const INVENTORY_GROUP = "hotpatch_lab";

export interface InventoryHost {
  name: string;
  port: number;
}

/** Quotes one value for shlex: inside single quotes nothing is special but the quote itself. */
function quote(value: string): string {
  return /^[A-Za-z0-9_./:=+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'"'"'`)}'`;
}

export function inventoryText(lab: { target: string; key: string; hosts: InventoryHost[] }): string {
  return [
    `# Ansible inventory of a hotpatch lab of ${lab.target}, written by 'hotpatch lab';`,
    "# it is removed when the lab stops.",
    `[${INVENTORY_GROUP}]`,
    ...lab.hosts.map((h) => `${h.name} ansible_host=127.0.0.1 ansible_port=${h.port}`),
    "",
    `[${INVENTORY_GROUP}:vars]`,
    "ansible_user=root",
    `ansible_ssh_private_key_file=${quote(lab.key)}`,
    `ansible_ssh_common_args=${quote(LAB_SSH_OPTIONS.join(" "))}`,
    "ansible_python_interpreter=/usr/bin/python3",
    "",
  ].join("\n");
}
