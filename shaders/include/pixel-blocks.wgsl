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

// The 6 input columns under a block's four 3×3 windows, x0 − 1 … x0 + 4, as quad offsets
// (column · c4) in an image row, with their in-level masks: a column outside the level reads
// column 0 and is masked to 0. Found once per block, so the loads of every channel quad select()
// rather than branch (a CPU adapter runs both sides of a branch its lanes disagree on).
struct BlockColumns {
  a: vec3<u32>,        // columns x0 − 1, x0, x0 + 1
  b: vec3<u32>,        // columns x0 + 2, x0 + 3, x0 + 4
  in_a: vec3<bool>,
  in_b: vec3<bool>,
};

fn block_columns(x0: u32, w: u32, c4: u32) -> BlockColumns {
  let xa = vec3<i32>(i32(x0) - 1, i32(x0), i32(x0) + 1);
  let xb = xa + vec3<i32>(3);
  let wi = vec3<i32>(i32(w));
  let in_a = (xa >= vec3<i32>(0)) & (xa < wi);
  let in_b = (xb >= vec3<i32>(0)) & (xb < wi);
  return BlockColumns(vec3<u32>(select(vec3<i32>(0), xa, in_a)) * c4, vec3<u32>(select(vec3<i32>(0), xb, in_b)) * c4, in_a, in_b);
}

// Channel quad `row + c` (row: the image row's first quad) of the 6 columns, from the including
// shader's `x: array<vec4<f32>>`.
struct ColumnQuads {
  v0: vec4<f32>,
  v1: vec4<f32>,
  v2: vec4<f32>,
  v3: vec4<f32>,
  v4: vec4<f32>,
  v5: vec4<f32>,
};

fn column_quads(cols: BlockColumns, at: u32) -> ColumnQuads {
  let zero = vec4<f32>(0.0);
  return ColumnQuads(
    select(zero, x[at + cols.a.x], cols.in_a.x), select(zero, x[at + cols.a.y], cols.in_a.y), select(zero, x[at + cols.a.z], cols.in_a.z),
    select(zero, x[at + cols.b.x], cols.in_b.x), select(zero, x[at + cols.b.y], cols.in_b.y), select(zero, x[at + cols.b.z], cols.in_b.z));
}
