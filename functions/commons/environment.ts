import { SETTINGS, type Setting } from './contracts/settings';

/**
 * Functions build their adapters from an environment map: `process.env` on AWS, an explicit
 * map in the local stack (so several stacks can run in one process, e.g. in tests).
 */
export type Environment = Record<string, string | undefined>;

export function required(env: Environment, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`configuration: environment variable ${name} is not set`);
  return value;
}

/** A duration in seconds from the environment, checked. */
export function secondsFrom(env: Environment, name: string, fallback: number, max = 86_400): number {
  const raw = env[name] ?? String(fallback);
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(`configuration: ${name} must be a number of seconds from 0 to ${max}, got "${raw}"`);
  }
  return value;
}

/** A whole number from the environment within [min, max] (its unit named in the error), checked. */
export function wholeNumberFrom(env: Environment, name: string, fallback: number, min: number, max: number, unit: string): number {
  const raw = env[name] ?? String(fallback);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`configuration: ${name} must be a whole number of ${unit} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A setting of contracts/settings.ts from its environment variable (its default when unset), checked against its range. */
export function settingFrom(env: Environment, setting: Setting): number {
  if (setting.unit === 'seconds' && setting.min === 0) return secondsFrom(env, setting.env, setting.default, setting.max);
  return wholeNumberFrom(env, setting.env, setting.default, setting.min, setting.max, setting.unit);
}

/** How long a record link works, in days. */
export function recordLinkTtlDaysFrom(env: Environment): number {
  return settingFrom(env, SETTINGS.recordLinkTtlDays);
}

export function settleSecondsFrom(env: Environment): number {
  return settingFrom(env, SETTINGS.callSettleSeconds);
}

/** Builds a handler on first use: module load stays cheap, configuration errors surface per request. */
export function lazyHandler<F extends (...args: never[]) => unknown>(build: () => F): F {
  let handle: F | undefined;
  return ((...args: Parameters<F>) => {
    handle ??= build();
    return handle(...args);
  }) as F;
}
