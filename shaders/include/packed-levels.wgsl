// The packed head layout (src/ops/packed-levels.ts). All FPN levels of a tower live in one block
// of R rows, rows = (level, y, x) in level order, NHWC; the T towers' blocks follow one another,
// so packed row p = t·R + q. A (tower, level) pair is a *segment*, numbered t·L + l.
// The including shader declares `var<uniform> levels: PackedLevels` at a binding of its own.
struct PackedLevels {
  count: u32,                    // L ≤ 8 levels
  tower_rows: u32,               // R = Σ H_l·W_l
  towers: u32,                   // T
  _pad: u32,
  offset: array<vec4<u32>, 2>,   // first row of level l within a tower
  height: array<vec4<u32>, 2>,
  width: array<vec4<u32>, 2>,
};

struct LevelPos {
  level: u32,
  y: u32,
  x: u32,
  first: u32,   // first row of the level within its tower
  h: u32,
  w: u32,
};

fn level_offset(l: u32) -> u32 { return levels.offset[l >> 2u][l & 3u]; }
fn level_height(l: u32) -> u32 { return levels.height[l >> 2u][l & 3u]; }
fn level_width(l: u32) -> u32 { return levels.width[l >> 2u][l & 3u]; }

// Where row q (0 ≤ q < R) of a tower sits.
fn locate_row(q: u32) -> LevelPos {
  var l = 0u;
  for (var i = 1u; i < levels.count; i++) {
    if (q >= level_offset(i)) { l = i; }
  }
  let first = level_offset(l);
  let w = level_width(l);
  let local = q - first;
  let y = local / w;
  return LevelPos(l, y, local - y * w, first, level_height(l), w);
}

// The tower row of (y + dy, x + dx) at p's level, or -1 in the zero padding around that level:
// a 3×3 window never reads across levels.
// Branch-free: a CPU adapter runs both sides of a branch its lanes disagree on.
fn neighbour_row(p: LevelPos, dy: i32, dx: i32) -> i32 {
  let y = i32(p.y) + dy;
  let x = i32(p.x) + dx;
  let inside = (y >= 0) & (x >= 0) & (y < i32(p.h)) & (x < i32(p.w));
  return select(-1, i32(p.first) + y * i32(p.w) + x, inside);
}
