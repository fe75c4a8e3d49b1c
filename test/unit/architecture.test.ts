/**
 * The layering the README's layout describes, checked on the import graph: the domain is pure,
 * the application reaches the world only through ports, and adapters are named only by the
 * composition root (and the handlers, which are the functions' own roots).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const COMMONS = resolve('functions/commons');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
}

/** Each module under functions/commons with what it imports (relative imports resolved to paths under functions/commons; packages by name). */
const modules = filesUnder(COMMONS).map((file) => {
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\s[^;=]*?from\s+'([^']+)'/gms)].map((match) => match[1]!);
  const imports = specifiers.map((specifier) => (specifier.startsWith('.') ? relative(COMMONS, resolve(dirname(file), specifier)) : specifier));
  return { path: relative(COMMONS, file), imports };
});

const layerOf = (path: string) => path.split('/')[0]!;
const offenders = (check: (module: (typeof modules)[number], imported: string) => boolean) =>
  modules.flatMap((module) => module.imports.filter((imported) => check(module, imported)).map((imported) => `${module.path} → ${imported}`));

describe('the layers of functions/commons', () => {
  it('are all there (the graph is read at all)', () => {
    expect(new Set(modules.map((m) => layerOf(m.path)))).toEqual(new Set(['adapters', 'app', 'contracts', 'domain', 'http', 'composition', 'composition.ts', 'environment.ts', 'ports.ts']));
    expect(modules.find((m) => m.path === 'composition.ts')!.imports).toContain('adapters/pbx-client');
  });

  // node:net for its BlockList (address ranges, no sockets): the delivery rules on receiver addresses.
  it('the domain imports only the domain, contracts and pure libraries', () => {
    expect(
      offenders((m, imported) => layerOf(m.path) === 'domain' && !['domain', 'contracts', 'node:crypto', 'node:net', 'fast-xml-parser', 'zod', 'zod/mini', 'zod/locales'].includes(layerOf(imported))),
    ).toEqual([]);
  });

  it('contracts are plain data: they import only other contracts', () => {
    expect(offenders((m, imported) => layerOf(m.path) === 'contracts' && layerOf(imported) !== 'contracts')).toEqual([]);
  });

  it('only the composition root (composition.ts and the per-function wiring under composition/) names adapters', () => {
    expect(offenders((m, imported) => layerOf(imported) === 'adapters' && !['adapters', 'composition.ts', 'composition'].includes(layerOf(m.path)))).toEqual([]);
  });

  it('nothing outside the adapters (and the root wiring them) imports an AWS SDK or Powertools package', () => {
    expect(offenders((m, imported) => /^@aws-(sdk|lambda-powertools)\//.test(imported) && !['adapters', 'composition.ts'].includes(layerOf(m.path)))).toEqual([]);
  });

  it('the application does not reach into the composition root or the handlers', () => {
    expect(offenders((m, imported) => ['app', 'domain', 'http', 'ports.ts'].includes(layerOf(m.path)) && (imported === 'composition' || imported.startsWith('..')))).toEqual([]);
  });
});
