/** Files the CLI reads besides images and weights streams, each failure one typed line. */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DynamicHeadError } from '../errors';

/** The size of a file the command needs, or a one-line error naming it. */
export function fileSize(file: string, what: string): number {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DynamicHeadError('INVALID_ARGUMENT', `${what} ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`}`);
  }
  if (!stats.isFile()) throw new DynamicHeadError('INVALID_ARGUMENT', `${what} ${file} is not a file`);
  return stats.size;
}

/** Class names from a JSON array of strings or a text file with one name per line. */
export function readLabelsFile(file: string): string[] {
  fileSize(file, 'the labels file');
  const text = readFileSync(file, 'utf8');
  let names: unknown;
  if (/^\s*\[/.test(text)) {
    try {
      names = JSON.parse(text);
    } catch (error) {
      throw new DynamicHeadError('INVALID_ARGUMENT', `the labels file ${file} is not valid JSON (${(error as Error).message})`);
    }
  } else {
    names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  }
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n.trim().length > 0)) {
    throw new DynamicHeadError('INVALID_ARGUMENT', `the labels file ${file} must hold a JSON array of names or one name per line`);
  }
  return names as string[];
}

/**
 * Where `--output` puts each image's annotated PNG: `target` itself when it names a .png file and
 * there is one image, else `target` as a folder (created) with `<image name>.png` per image
 * (`-2`, `-3`… where names repeat). Never one of the input images.
 */
export function outputPaths(target: string, images: readonly string[]): string[] {
  const isDirectory = existsSync(target) && statSync(target).isDirectory();
  if (!isDirectory && /\.png$/i.test(target)) {
    if (images.length > 1) throw new DynamicHeadError('INVALID_ARGUMENT', `--output ${target} names one PNG file but there are ${images.length} images: give a folder`);
    if (images.some((image) => path.resolve(image) === path.resolve(target))) throw new DynamicHeadError('INVALID_ARGUMENT', `--output ${target} would overwrite the input image`);
    return [target];
  }
  if (existsSync(target) && !isDirectory) throw new DynamicHeadError('INVALID_ARGUMENT', `--output ${target} exists and is not a folder`);
  try {
    mkdirSync(target, { recursive: true });
  } catch (error) {
    throw new DynamicHeadError('INVALID_ARGUMENT', `--output: cannot create the folder ${target} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const taken = new Set<string>();
  return images.map((image) => {
    const stem = path.basename(image).replace(/\.[^.]+$/, '');
    let name = `${stem}.png`;
    for (let n = 2; taken.has(name); n++) name = `${stem}-${n}.png`;
    taken.add(name);
    const file = path.join(target, name);
    if (images.some((input) => path.resolve(input) === path.resolve(file))) throw new DynamicHeadError('INVALID_ARGUMENT', `--output ${target} would overwrite the input image ${file}`);
    return file;
  });
}
