/**
 * The engine's per-gate densities (counted by the head's compactions) and, when asked for, its
 * gate taps, as the API's named gate maps and per-router densities. One definition of density
 * everywhere: the fraction of a gate's pixels that are on; a router's density is its depth gate's
 * (the pixels its depth convs run at), over every level of its tower — the engine's.
 */
import type { GateMap, GatePath, LevelName, RouterDensity } from '../api/types';
import type { DetectionResult } from '../model/engine';
import { LEVEL_NAMES } from '../model/dynamic-head';

const GATE_KEY = /^((?:cls|bbox)_subnet\.\d+)\.(scale0|scale1|depth)\.(p[3-7])$/;

export function describeGates(result: Pick<DetectionResult, 'gateDensities' | 'gates' | 'levelSizes'>, keepValues: boolean): GateMap[] {
  const taps = new Map((result.gates ?? []).map((g) => [g.name, g]));
  return Object.entries(result.gateDensities ?? {}).flatMap(([key, density]) => {
    const match = GATE_KEY.exec(key);
    if (!match) return [];
    const [, router, path, level] = match as unknown as [string, string, GatePath, LevelName];
    const name = `${router}.${path}.gate.${level}`;
    const [height, width] = result.levelSizes[LEVEL_NAMES.indexOf(level)]!;
    return [{ name, router, path, level, height, width, density, values: keepValues ? taps.get(name)?.values : undefined }];
  });
}

export function routerDensities(result: Pick<DetectionResult, 'routerDensities'>): RouterDensity[] {
  return Object.entries(result.routerDensities ?? {}).map(([router, density]) => ({ router, density }));
}
