/** Abonents of a simulated PBX: lookup by pattern and the JSON shape `GET abonents` shows. */
import { PbxApiError, type Abonent, type AbonentJson, type Pbx } from './model.js';
import { normaliseAbonentPhone } from './phone.js';

export function abonentJson(a: Abonent): AbonentJson {
  const out: AbonentJson = { userId: a.userId };
  if (a.phone !== undefined) out.phone = a.phone;
  if (a.firstName !== undefined) out.firstName = a.firstName;
  if (a.lastName !== undefined) out.lastName = a.lastName;
  if (a.extension !== undefined) out.extension = a.extension;
  if (a.email !== undefined) out.email = a.email;
  if (a.department !== undefined) out.department = a.department;
  return out;
}

/** Abonent by pattern: userId (case-insensitive), 10-digit phone or extension. With
 * `lenient` (control routes) any phone format is accepted too. */
export function findAbonent(pbx: Pbx, pattern: string, lenient = false): Abonent | undefined {
  const p = pattern.trim();
  const lower = p.toLowerCase();
  const byExact = pbx.abonents.find((a) => a.userId.toLowerCase() === lower) ?? pbx.abonents.find((a) => a.phone === p) ?? pbx.abonents.find((a) => a.extension !== undefined && a.extension === p);
  if (byExact || !lenient) return byExact;
  const norm = normaliseAbonentPhone(p);
  return norm ? pbx.abonents.find((a) => a.phone === norm) : undefined;
}

export function requireAbonent(pbx: Pbx, pattern: string): Abonent {
  const a = findAbonent(pbx, pattern);
  if (!a) throw new PbxApiError(404, 'AbonentNotFound', `Абонент не найден: ${pattern}`);
  return a;
}
