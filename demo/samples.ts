/** Sample images: demo/samples/*.png when present, else the reference fixtures' PNGs. */
const own = import.meta.glob('./samples/*.{png,jpg,jpeg,webp}', { query: '?url', import: 'default', eager: true }) as Record<string, string>;
const fixtures = import.meta.glob('../tests/fixtures/reference/narrow-d4/*.png', { query: '?url', import: 'default', eager: true }) as Record<string, string>;

export interface Sample {
  readonly name: string;
  readonly url: string;
}

function list(files: Record<string, string>): Sample[] {
  return Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, url]) => ({ name: path.replace(/^.*\/([^/]+)\.\w+$/, '$1'), url }));
}

export const SAMPLES: readonly Sample[] = Object.keys(own).length > 0 ? list(own) : list(fixtures);
