import type { Locator } from '@playwright/test';

/** How many distinct colours a canvas shows (a coarse histogram) and a cheap fingerprint of its pixels. */
export async function canvasStats(canvas: Locator): Promise<{ width: number; height: number; colours: number; opaque: number; hash: number }> {
  return canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<number>();
    let opaque = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! > 0) opaque++;
      colours.add(((data[i]! >> 4) << 8) | ((data[i + 1]! >> 4) << 4) | (data[i + 2]! >> 4));
      hash = (Math.imul(hash, 31) + data[i]! + (data[i + 1]! << 8) + (data[i + 2]! << 16)) | 0;
    }
    return { width: c.width, height: c.height, colours: colours.size, opaque, hash };
  });
}
