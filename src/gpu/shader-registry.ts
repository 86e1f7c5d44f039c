import { ShaderNotFoundError } from '../errors';

/**
 * Every `shaders/*.wgsl` file, inlined as text by Vite at build time. The same glob serves the
 * browser, the worker, the library build and Node (tests and the CLI run through Vite's module
 * runner), so a kernel is always compiled from exactly the file in the repository.
 *
 * The one template step: a line `#include <name>` is replaced by `shaders/include/<name>.wgsl`
 * (helpers several kernel families share, such as the packed-level table). Nothing else is
 * generated.
 */
const files = import.meta.glob('../../shaders/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;
const includeFiles = import.meta.glob('../../shaders/include/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

const stem = (path: string) => path.replace(/^.*\/([^/]+)\.wgsl$/, '$1');
const includes = new Map<string, string>(Object.entries(includeFiles).map(([path, text]) => [stem(path), text]));
const INCLUDE_LINE = /^#include <([A-Za-z0-9_-]+)>[ \t]*$/gm;

function expandIncludes(name: string, text: string, seen: Set<string> = new Set()): string {
  return text.replace(INCLUDE_LINE, (_, include: string) => {
    const body = includes.get(include);
    if (body === undefined) throw new ShaderNotFoundError(`include/${include} (included by ${name})`, [...includes.keys()].sort());
    if (seen.has(include)) return ''; // included once per module
    seen.add(include);
    return expandIncludes(name, body, seen);
  });
}

const sources = new Map<string, string>(Object.entries(files).map(([path, text]) => [stem(path), expandIncludes(stem(path), text)]));

/** The WGSL source of `shaders/<name>.wgsl`, includes expanded. */
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
