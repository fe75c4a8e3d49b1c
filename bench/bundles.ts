/**
 * Figure 5: `bundle_kb_<function>` for every Lambda entry (functions/*.ts), bundled with the
 * esbuild options the functions are bundled with (contracts/bundling.ts), and
 * `cold_init_ratio_<function>`: a fresh Node process loading the bundle and constructing the
 * handler ÷ the same for an empty handler bundle built with the same options.
 *
 * Also measured, for the recommendations: the same bundles with `@aws-sdk/*` external (the
 * nodejs22.x runtime ships SDK v3) and the cold init without `--enable-source-maps`.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { BENCH_DIR, log, median, ROOT, type Report } from './support';
import { BUNDLING, MAX_BUNDLE_KB, NODE_OPTIONS } from '../functions/commons/contracts/bundling';
import { FUNCTIONS } from '../functions/commons/contracts/functions';

export interface BundleOptions {
  /** Fresh processes per bundle for the figures. */
  coldRuns: number;
  /** Fresh processes per variant (recommendations). */
  variantRuns: number;
  /** Functions whose variants are also cold-started (sizes are reported for all). */
  variantFunctions: string[];
}

/** The esbuild options NodejsFunction derives from the functions' bundling options. */
export interface MirroredOptions {
  esbuild: BuildOptions;
  /** NODE_OPTIONS the function runs with. */
  nodeOptions: string[];
  source: string[];
}

/** What NodejsFunction's Bundling passes to esbuild for the options in contracts/bundling.ts (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js). */
export function mirroredOptions(): MirroredOptions {
  const { minify, sourceMap, sourcesContent, target, format, mainFields, banner, externalModules } = BUNDLING;
  return {
    esbuild: {
      bundle: true,
      platform: 'node',
      target,
      format,
      minify,
      sourcemap: sourceMap,
      sourcesContent,
      external: [...externalModules],
      banner: { js: banner },
      mainFields: [...mainFields],
      absWorkingDir: ROOT,
      logLevel: 'warning',
      metafile: true,
    },
    nodeOptions: NODE_OPTIONS.split(/\s+/).filter(Boolean),
    source: [
      `minify=${minify} sourcemap=${sourceMap} sourcesContent=${sourcesContent} target=${target} format=${format} mainFields=${mainFields.join(',')} ` +
        `external=[${externalModules.join(',')}] banner=${JSON.stringify(banner)} NODE_OPTIONS=${NODE_OPTIONS}`,
    ],
  };
}

/** Lambda entries: functions/*.ts (one file per Lambda). */
export function lambdaEntries(): string[] {
  return readdirSync(join(ROOT, 'functions'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.includes('.test.'))
    .sort()
    .map((name) => join(ROOT, 'functions', name));
}

const EMPTY_HANDLER = `export const handler = async () => ({ statusCode: 200 });
export function createHandler() { return handler; }
`;

interface Built {
  name: string;
  variant: string;
  file: string;
  bytes: number;
  mapBytes: number;
  topPackages: { name: string; kb: number }[];
}

/** Bytes in the output by package (node_modules/<pkg>), the project's own code as `(project)`. */
function packagesOf(metafile: Metafile): { name: string; kb: number }[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const at = path.lastIndexOf('node_modules/');
      let name = '(project)';
      if (at !== -1) {
        const parts = path.slice(at + 'node_modules/'.length).split('/');
        name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
      } else if (path.startsWith('<stdin>')) name = '(entry)';
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes.entries()].sort((a, b) => b[1] - a[1]).map(([name, n]) => ({ name, kb: Math.round((n / 1024) * 10) / 10 }));
}

async function bundle(options: BuildOptions, variant: string, name: string, entry: string | { stdin: string }): Promise<Built> {
  const dir = join(BENCH_DIR, 'bundles', variant, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, options.format === 'cjs' ? 'index.js' : 'index.mjs');
  const result = await build({
    ...options,
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: { contents: entry.stdin, resolveDir: ROOT, loader: 'ts', sourcefile: '<stdin>' } }),
    outfile,
  });
  // A function's files beside its bundle, as on Lambda: its handler reads them when it starts.
  const copied = typeof entry === 'string' ? Object.values(FUNCTIONS).find((f) => f.entryFile === basename(entry) && 'copiedFolder' in f) : undefined;
  if (copied && 'copiedFolder' in copied) cpSync(join(ROOT, 'functions', copied.copiedFolder), join(dir, copied.copiedFolder), { recursive: true });
  let mapBytes = 0;
  try {
    mapBytes = statSync(`${outfile}.map`).size;
  } catch {
    // no source map
  }
  return { name, variant, file: outfile, bytes: statSync(outfile).size, mapBytes, topPackages: packagesOf(result.metafile!) };
}

/** Wall time of a fresh `node` process that loads the bundle and builds its handler, then exits. */
function coldStart(file: string, nodeOptions: string[]): Promise<{ wallMs: number; importMs: number; buildMs: number; filled: string[] }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeOptions, join(ROOT, 'bench', 'cold-start.mjs'), file], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_OPTIONS: '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`cold start of ${file} failed (${code}): ${err.slice(-400)}`));
      try {
        const timings = JSON.parse(out.trim().split('\n').pop()!) as { importMs: number; buildMs: number; filled?: string[] };
        resolve({ wallMs, importMs: timings.importMs, buildMs: timings.buildMs, filled: timings.filled ?? [] });
      } catch {
        reject(new Error(`cold start of ${file}: unexpected output ${out.slice(-200)}`));
      }
    });
  });
}

export async function benchBundles(report: Report, options: BundleOptions): Promise<void> {
  const mirrored = mirroredOptions();
  log(`  esbuild options (contracts/bundling.ts): ${mirrored.source.join('; ')}`);
  const entries = lambdaEntries();
  const sdkExternal: BuildOptions = { ...mirrored.esbuild, external: [...new Set([...(mirrored.esbuild.external ?? []), '@aws-sdk/*'])] };

  const configured: Built[] = [];
  const external: Built[] = [];
  for (const entry of entries) {
    const name = basename(entry, '.ts');
    configured.push(await bundle(mirrored.esbuild, 'configured', name, entry));
    external.push(await bundle(sdkExternal, 'sdk-external', name, entry));
  }
  const empty = await bundle(mirrored.esbuild, 'configured', 'empty', { stdin: EMPTY_HANDLER });

  // Cold init: interleaved runs (so drift hits every bundle alike), the median wall time of each.
  const withMaps = mirrored.nodeOptions;
  const withoutMaps = withMaps.filter((flag) => flag !== '--enable-source-maps');
  const variantOf = (name: string) => options.variantFunctions.includes(name);
  const cases = [
    { key: 'empty', file: empty.file, flags: withMaps, runs: options.coldRuns },
    { key: 'empty-nomaps', file: empty.file, flags: withoutMaps, runs: options.variantRuns },
    ...configured.map((b) => ({ key: b.name, file: b.file, flags: withMaps, runs: options.coldRuns })),
    ...configured.filter((b) => variantOf(b.name)).map((b) => ({ key: `${b.name}-nomaps`, file: b.file, flags: withoutMaps, runs: options.variantRuns })),
    ...external.filter((b) => variantOf(b.name)).map((b) => ({ key: `${b.name}-sdk-external`, file: b.file, flags: withMaps, runs: options.variantRuns })),
  ];
  const samples = new Map<string, { wallMs: number; importMs: number; buildMs: number; filled: string[] }[]>();
  const rounds = Math.max(...cases.map((c) => c.runs));
  for (let run = 0; run < rounds; run++) {
    for (const c of cases) {
      if (run >= c.runs) continue;
      const list = samples.get(c.key) ?? [];
      list.push(await coldStart(c.file, c.flags));
      samples.set(c.key, list);
    }
  }
  const has = (key: string) => samples.has(key);
  const wall = (key: string) => median(samples.get(key)!.map((s) => s.wallMs));
  const inProcess = (key: string) => median(samples.get(key)!.map((s) => s.importMs + s.buildMs));
  const emptyMs = wall('empty');
  const emptyNoMapsMs = wall('empty-nomaps');
  log(`  empty handler bundle: ${(empty.bytes / 1024).toFixed(1)} KB, fresh process ${emptyMs.toFixed(0)} ms ` + `(median of ${options.coldRuns}; node flags: ${withMaps.join(' ') || 'none'})`);

  const details: Record<string, unknown> = {};
  for (const b of configured) {
    const kb = b.bytes / 1024;
    report.figure(`bundle_kb_${b.name}`, kb, 'KB', { max: MAX_BUNDLE_KB });
    report.figure(`cold_init_ratio_${b.name}`, wall(b.name) / emptyMs, 'ratio', { max: 3 });
    const ext = external.find((e) => e.name === b.name)!;
    const top = b.topPackages.slice(0, 5);
    const kbOf = (x: Built) => `${(x.bytes / 1024).toFixed(0)} KB`;
    const coldOf = (key: string, base = emptyMs) => (has(key) ? `, cold ratio ${(wall(key) / base).toFixed(2)}` : '');
    log(
      `  ${b.name}: ${kb.toFixed(1)} KB (+ ${(b.mapBytes / 1024).toFixed(0)} KB map), fresh process ${wall(b.name).toFixed(0)} ms ` +
        `(import + build ${inProcess(b.name).toFixed(0)} ms${samples.get(b.name)![0]!.filled.length ? `; dummy env also needed ${samples.get(b.name)![0]!.filled.join(', ')}` : ''}); ` +
        `top packages: ${top.map((p) => `${p.name} ${p.kb} KB`).join(', ')}`,
    );
    log(
      `    variants: all of @aws-sdk/* external (left to the runtime's copy) ${kbOf(ext)}${coldOf(`${b.name}-sdk-external`)}` +
        `${has(`${b.name}-nomaps`) ? `; as built but run without --enable-source-maps: cold ratio ${(wall(`${b.name}-nomaps`) / emptyNoMapsMs).toFixed(2)}` : ''}`,
    );
    details[b.name] = {
      kb,
      mapKb: b.mapBytes / 1024,
      topPackages: b.topPackages.slice(0, 10),
      coldWallMs: wall(b.name),
      coldInProcessMs: inProcess(b.name),
      sdkExternal: {
        kb: ext.bytes / 1024,
        topPackages: ext.topPackages.slice(0, 5),
        ...(has(`${b.name}-sdk-external`) && { coldWallMs: wall(`${b.name}-sdk-external`), ratio: wall(`${b.name}-sdk-external`) / emptyMs }),
      },
      ...(has(`${b.name}-nomaps`) && { withoutSourceMaps: { coldWallMs: wall(`${b.name}-nomaps`), ratio: wall(`${b.name}-nomaps`) / emptyNoMapsMs } }),
    };
  }
  report.detail('bundles', {
    esbuild: mirrored.source,
    empty: { kb: empty.bytes / 1024, coldWallMs: emptyMs, coldWallMsWithoutSourceMaps: emptyNoMapsMs },
    coldRuns: options.coldRuns,
    functions: details,
  });
  const worst = configured.reduce((a, b) => (a.bytes > b.bytes ? a : b));
  const sizeOf = (list: Built[]) => `${(list.find((e) => e.name === worst.name)!.bytes / 1024).toFixed(0)} KB`;
  report.say(
    `bundles: largest ${worst.name} ${(worst.bytes / 1024).toFixed(0)} KB (${worst.topPackages[0]?.name} ${worst.topPackages[0]?.kb} KB first); ` +
      `all of @aws-sdk/* external ${sizeOf(external)}; cold init ${(wall(worst.name) / emptyMs).toFixed(1)}× an empty bundle`,
  );
}
