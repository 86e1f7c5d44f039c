// Blocks of BLOCK consecutive pixels of one image row (BLOCK: a const of the including shader,
// which also includes <packed-levels>), counted level after level within a tower.
fn level_blocks(l: u32) -> u32 { return level_height(l) * ((level_width(l) + BLOCK - 1u) / BLOCK); }

struct PixelBlock {
  level: u32,
  y: u32,
  x0: u32,   // first pixel of the block in its image row
  w: u32,
  h: u32,
};

// Block `index` counted from the first block of level `first`, over levels first .. end − 1.
fn locate_block(index: u32, first: u32, end: u32) -> PixelBlock {
  var rem = index;
  var l = first;
  for (var i = first; i + 1u < end; i++) {
    let n = level_blocks(i);
    if (rem < n) { break; }
    rem -= n;
    l = i + 1u;
  }
  let w = level_width(l);
  let row_blocks = (w + BLOCK - 1u) / BLOCK;
  let y = rem / row_blocks;
  return PixelBlock(l, y, (rem - y * row_blocks) * BLOCK, w, level_height(l));
}
