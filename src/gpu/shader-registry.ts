import { ShaderNotFoundError } from '../errors';

/**
 * Every `shaders/*.wgsl` file, inlined as text by Vite at build time. The same glob serves the
 * browser, the worker, the library build and Node (tests and the CLI run through Vite's module
 * runner), so a kernel is always compiled from exactly the file in the repository.
 */
const files = import.meta.glob('../../shaders/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

const sources = new Map<string, string>(
  Object.entries(files).map(([path, text]) => [path.replace(/^.*\/([^/]+)\.wgsl$/, '$1'), text]),
);

/** The WGSL source of `shaders/<name>.wgsl`. */
export function shaderSource(name: string): string {
  const text = sources.get(name);
  if (text === undefined) throw new ShaderNotFoundError(name, [...sources.keys()].sort());
  return text;
}

export function shaderNames(): string[] {
  return [...sources.keys()].sort();
}

/**
 * Names the `override` constants a shader declares, so a kernel binding cannot pass a constant
 * the shader does not have (WebGPU would reject the pipeline with a less helpful message).
 */
export function overrideNames(name: string): Set<string> {
  const found = new Set<string>();
  for (const match of shaderSource(name).matchAll(/^\s*override\s+([A-Za-z_][A-Za-z0-9_]*)/gm)) {
    found.add(match[1]!);
  }
  return found;
}
