/**
 * Turns the engine's gate taps (`cls_subnet.0.scale1.gate.p4`, `bbox_subnet.3.depth.gate.p7`)
 * into named gate maps and per-router densities.
 */
import type { GateMap, GatePath, LevelName, RouterDensity } from '../api/types';
import type { GateMap as EngineGateMap } from '../model/engine';

const GATE_NAME = /^((?:cls|bbox)_subnet\.\d+)\.(scale0|scale1|depth)\.gate\.(p[3-7])$/;

export function describeGates(gates: readonly EngineGateMap[], keepValues: boolean): GateMap[] {
  return gates.flatMap((g) => {
    const match = GATE_NAME.exec(g.name);
    if (!match) return [];
    return [
      {
        name: g.name,
        router: match[1]!,
        path: match[2] as GatePath,
        level: match[3] as LevelName,
        height: g.height,
        width: g.width,
        density: g.density,
        values: keepValues ? g.values : undefined,
      },
    ];
  });
}

/** Each router's density: the fraction of its gate pixels (all paths, all levels) that are on. */
export function routerDensities(gates: readonly GateMap[]): RouterDensity[] {
  const sums = new Map<string, { on: number; pixels: number }>();
  for (const g of gates) {
    const pixels = g.height * g.width;
    const entry = sums.get(g.router) ?? { on: 0, pixels: 0 };
    entry.on += g.density * pixels;
    entry.pixels += pixels;
    sums.set(g.router, entry);
  }
  return [...sums].map(([router, { on, pixels }]) => ({ router, density: pixels > 0 ? on / pixels : 0 }));
}
