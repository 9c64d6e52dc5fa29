// SPDX-License-Identifier: GPL-2.0-only
// Who maintains a package: --maintainer, else Debian's usual DEBFULLNAME and DEBEMAIL (as dch
// reads them), else root at this machine when its name is a domain name (Debian refuses
// addresses on hosts without a dot, like localhost).
import { hostname } from "node:os";
import { UserError } from "../errors/user-error.ts";
import { checkMaintainer } from "./control.ts";

export function packageMaintainer(given?: string): string {
  if (given) return checkMaintainer(given);
  const name = process.env.DEBFULLNAME || process.env.NAME;
  const email = process.env.DEBEMAIL || process.env.EMAIL;
  if (email) return checkMaintainer(/<.+>/.test(email) ? email : `${name || "hotpatch"} <${email}>`);
  if (!hostname().includes("."))
    throw new UserError(
      "Say who maintains the package: give --maintainer 'Full Name <address>' or set DEBFULLNAME and DEBEMAIL.",
    );
  return checkMaintainer(`hotpatch packager <root@${hostname()}>`);
}
