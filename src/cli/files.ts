/** Files the CLI reads besides images and weights streams, each failure one typed line. */
import { readFileSync, statSync } from 'node:fs';
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
