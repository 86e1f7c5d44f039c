// One router's compaction over the packed head (both towers, every level), without a CPU
// read-back: from the depth gate g [T][R] it derives per packed pixel p
//   gate bit    g[p] > 0                                  (conv2's pixels)
//   dilated bit max-pool 3×3 (pad 1, at p's own level) of g > 0   (conv1's pixels)
// and writes, into one u32 buffer laid out by ActiveListsLayout (src/ops/active-lists.ts), for
// each list: the ascending row list, the pixel → row map (0xffffffff where inactive), a segment
// table per (tower, level) in the consumer's row space, the true active counts per segment, and
// the consumers' indirect arguments (conv over the list: (Cout tiles, max over towers of
// ceil(rows_t / tile rows), T); segment statistics: ceil(ceil(rows / chunk)·lanes / 64), folded,
// lanes = segmentStatsLanes).
// When a list's active count exceeds its sparse limit (the crossover), it takes the dense
// fallback instead: meta.dense = 1, every pixel is a row (row = p), the map still marks the
// active ones (p or 0xffffffff) and no row list is written. The scale paths' gates [2][T][R] are
// counted per segment too (reporting only).
// One workgroup of THREADS threads, one barrier between the two walks: each thread counts a
// contiguous chunk of pixels (storing its flags in the dilated map), then, knowing the counts
// before its chunk, writes its rows, maps and the segment boundaries inside its chunk. Integer
// arithmetic in a fixed order: the result never depends on scheduling.
// Dispatch: (1, 1, 1).

override SOFTWARE_ADAPTER: bool = false;
// Threads of the walk: 16 on a CPU adapter (each extra group of threads costs more than its share
// of the walk saves on SwiftShader), 256 on a GPU so the walks stay short.
override THREADS: u32 = select(256u, 16u, SOFTWARE_ADAPTER);
override HAS_SCALE_GATES: bool = true;

const NONE: u32 = 0xffffffffu;
const MAX_SEGMENTS: u32 = 16u;

struct Params {
  limit: vec2<u32>,        // sparse limit of the dilated / gate list (largest sparse count)
  conv_x: u32,             // conv consumers: workgroups over Cout
  conv_tile_rows: u32,     // conv consumers: rows per workgroup
  stats_groups: u32,       // statistics consumers: partial-pass threads per chunk (segmentStatsLanes)
  stats_chunk: u32,        // statistics consumers: rows per chunk
  scale_active0: u32,      // word offsets (ActiveListsLayout)
  scale_active1: u32,
  table: vec2<u32>,
  counts: vec2<u32>,
  rows: vec2<u32>,
  map: vec2<u32>,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> levels: PackedLevels;
@group(0) @binding(2) var<storage, read> gate: array<f32>;
@group(0) @binding(3) var<storage, read> scale_gates: array<f32>;
@group(0) @binding(4) var<storage, read_write> lists: array<u32>;

#include <packed-levels>

var<workgroup> chunk_counts: array<vec2<u32>, 256>;
var<workgroup> boundary: array<vec2<u32>, 17>;   // compact index at each segment start, then the end
var<workgroup> scale_counts: array<atomic<u32>, 32>;

fn segment_row(s: u32) -> u32 {
  let t = s / levels.count;
  return t * levels.tower_rows + level_offset(s - t * levels.count);
}

// Whether a gate of column xx, rows y − 1 … y + 1 of the level at `pos` (its tower's rows from
// `base`), is on; false outside the level (the max-pool's padding).
fn column_on(base: u32, pos: LevelPos, xx: i32) -> bool {
  if (xx < 0 || xx >= i32(pos.w)) { return false; }
  var on = false;
  for (var dy = -1; dy <= 1; dy++) {
    let yy = i32(pos.y) + dy;
    if (yy >= 0 && yy < i32(pos.h) && gate[base + pos.first + u32(yy) * pos.w + u32(xx)] > 0.0) { on = true; }
  }
  return on;
}

// Indirect arguments (x, y, z); no workgroups at all when any is 0.
fn write_args(at: u32, size: vec3<u32>) {
  var out = size;
  if (out.x == 0u || out.y == 0u || out.z == 0u) { out = vec3<u32>(0u); }
  lists[at] = out.x;
  lists[at + 1u] = out.y;
  lists[at + 2u] = out.z;
}

// `groups` workgroups over x, folded into y above 65535 (the consumer rebuilds wid.x + wid.y·nwg.x).
fn folded(groups: u32) -> vec3<u32> {
  let y = max(1u, (groups + 65534u) / 65535u);
  return vec3<u32>((groups + y - 1u) / y, y, 1u);
}

@compute @workgroup_size(THREADS)
fn main(@builtin(local_invocation_index) lid: u32) {
  let n = levels.towers * levels.tower_rows;
  let segments = levels.towers * levels.count;
  let per = (n + THREADS - 1u) / THREADS;
  let lo = min(n, lid * per);
  let hi = min(n, lo + per);
  // The first segment boundary at or after lo. (Workgroup memory starts zeroed.)
  var next = 0u;
  while (next < segments && segment_row(next) < lo) { next++; }

  // Walk 1: flags (kept in the dilated map), counts, scale-gate counts per segment.
  var counts = vec2<u32>(0u);
  var seg = select(0u, next - 1u, next > 0u);
  var seg_end = select(n, segment_row(seg + 1u), seg + 1u < segments);
  var run = vec2<u32>(0u);
  // The walk keeps its place and the 3×3 window's three columns (x − 1, x, x + 1) as it moves
  // along an image row, so a pixel reads one new column (3 gates), not 9 neighbours; it is
  // located afresh at each row start.
  var pos: LevelPos;
  var base = 0u;
  var window = vec3<bool>(false);
  var fresh = true;
  for (var p = lo; p < hi; p++) {
    if (fresh) {
      base = (p / levels.tower_rows) * levels.tower_rows;
      pos = locate_row(p - base);
      let x = i32(pos.x);
      window = vec3<bool>(column_on(base, pos, x - 1), column_on(base, pos, x), column_on(base, pos, x + 1));
      fresh = false;
    }
    // bit 0: gate active, bit 1: dilated active (max-pool 3×3 of the gate at p's level).
    let f = select(0u, 1u, gate[p] > 0.0) | select(0u, 2u, any(window));
    if (pos.x + 1u < pos.w) {
      pos.x += 1u;
      window = vec3<bool>(window.y, window.z, column_on(base, pos, i32(pos.x) + 1));
    } else {
      fresh = true;
    }
    lists[params.map.x + p] = f;
    counts += vec2<u32>((f >> 1u) & 1u, f & 1u);
    if (HAS_SCALE_GATES) {
      if (p == seg_end) {
        atomicAdd(&scale_counts[seg], run.x);
        atomicAdd(&scale_counts[MAX_SEGMENTS + seg], run.y);
        run = vec2<u32>(0u);
        seg++;
        seg_end = select(n, segment_row(seg + 1u), seg + 1u < segments);
      }
      run += vec2<u32>(select(0u, 1u, scale_gates[p] > 0.0), select(0u, 1u, scale_gates[n + p] > 0.0));
    }
  }
  if (HAS_SCALE_GATES && hi > lo) {
    atomicAdd(&scale_counts[seg], run.x);
    atomicAdd(&scale_counts[MAX_SEGMENTS + seg], run.y);
  }
  chunk_counts[lid] = counts;
  workgroupBarrier();

  var offset = vec2<u32>(0u);
  var total = vec2<u32>(0u);
  for (var j = 0u; j < THREADS; j++) {
    if (j == lid) { offset = total; }
    total += chunk_counts[j];
  }
  let dense = vec2<bool>(total.x > params.limit.x, total.y > params.limit.y);

  // Walk 2: rows, maps, the compact index at each segment start inside the chunk.
  for (var p = lo; p < hi; p++) {
    if (next < segments && segment_row(next) == p) {
      boundary[next] = offset;
      next++;
    }
    let f = lists[params.map.x + p];
    let on = vec2<bool>((f & 2u) != 0u, (f & 1u) != 0u);
    for (var d = 0u; d < 2u; d++) {
      if (!on[d]) {
        lists[params.map[d] + p] = NONE;
        continue;
      }
      if (dense[d]) {
        lists[params.map[d] + p] = p;
      } else {
        lists[params.rows[d] + offset[d]] = p;
        lists[params.map[d] + p] = offset[d];
      }
      offset[d] += 1u;
    }
  }
  if (lid == THREADS - 1u) { boundary[segments] = total; }
  workgroupBarrier();

  // Segment tables, true counts and the consumers' arguments.
  if (lid < segments) {
    let s = lid;
    let start = segment_row(s);
    let pixels = select(n, segment_row(s + 1u), s + 1u < segments) - start;
    for (var d = 0u; d < 2u; d++) {
      let found = boundary[s + 1u][d] - boundary[s][d];
      lists[params.counts[d] + s] = found;
      lists[params.table[d] + 2u + 2u * s] = select(boundary[s][d], start, dense[d]);
      lists[params.table[d] + 3u + 2u * s] = select(found, pixels, dense[d]);
    }
    lists[params.scale_active0 + s] = atomicLoad(&scale_counts[s]);
    lists[params.scale_active1 + s] = atomicLoad(&scale_counts[MAX_SEGMENTS + s]);
  }
  if (lid == 0u) {
    for (var d = 0u; d < 2u; d++) {
      let rows = select(total[d], n, dense[d]);
      lists[params.table[d]] = select(0u, 1u, dense[d]);
      lists[params.table[d] + 1u] = rows;
      var tile_rows = 0u;
      for (var t = 0u; t < levels.towers; t++) {
        var tower_rows = levels.tower_rows;
        if (!dense[d]) { tower_rows = boundary[(t + 1u) * levels.count][d] - boundary[t * levels.count][d]; }
        tile_rows = max(tile_rows, (tower_rows + params.conv_tile_rows - 1u) / params.conv_tile_rows);
      }
      let chunks = (rows + params.stats_chunk - 1u) / params.stats_chunk;
      write_args(6u * d, vec3<u32>(params.conv_x, tile_rows, levels.towers));
      write_args(6u * d + 3u, folded((chunks * params.stats_groups + 63u) / 64u));
    }
  }
}
