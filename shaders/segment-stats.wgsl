// GroupNorm statistics per segment, for the packed head (official masked inference: the
// statistics of a level cover its active pixels only, spec §4.2): one set of (mean, 1/σ) per
// (segment, group), folded with the segment's GroupNorm affine for the consumers.
// Rows: a [rows, C] tensor whose rows [start_s, start_s + count_s) form segment s, segments in
// ascending row order (gaps between them are skipped). The segment table lives in a u32 buffer at
// `meta` words: [dense, rows_total, (start_s, count_s) × S]. It is either fixed (dense
// statistics) or written on the GPU by the head's compaction (head-compact.wgsl): then the rows
// are the compact active rows of a tower pair, or, when the compaction chose the dense fallback
// (dense = 1), every pixel, of which only those with index_map[p] ≠ NONE count.
//   partial  : thread (chunk k, group g) runs Welford over rows [k·R, (k+1)·R) and the group's
//              C/G channels, flushing at every segment boundary: the part of chunk k in segment s
//              goes to slot k + s (unique: a chunk touches consecutive segments), partials[(k+s)·G+g]
//              = (n, mean, M2). GROUPS_PER_QUAD = 4 or 2 (1 or 2 channels per group, C % 4 == 0):
//              a thread does the 4 or 2 groups of one channel quad at once from one vec4 load per
//              row, component-wise the very same operations (2: channels x, z then y, w);
//              VEC4_GROUP (C/G % 4 == 0): a thread reads its group's channels as vec4 and adds
//              them one by one. Either way each group's sum keeps its order.
//              Dispatch ceil(ceil(rows_total / R)·G / GROUPS_PER_QUAD / 64) workgroups of 64
//              (indirect, from the compaction, when the rows come from it; folded over x and y).
//   finalize : thread (s, g) merges the slots of the chunks that overlap segment s in chunk order
//              (Chan et al.) → mean, inv_std (biased variance, as PyTorch; (0, 0) when empty), then
//              writes the folded affine of its channels: affine[s][0][c] = mean,
//              affine[s][1][c] = inv_std · gamma[set][c], affine[s][2][c] = beta[set][c],
//              set = s / segments_per_set (norm holds [sets][2][C]: gamma, beta).
//              Dispatch ceil(S·G / 64) of 64.
// The merge order is fixed, so results never depend on scheduling.

struct Params {
  channels: u32,
  groups: u32,
  group_channels: u32,
  chunk_rows: u32,
  segments: u32,
  table: u32,            // word offset of the segment table in `lists`
  map: u32,              // word offset of the pixel → row map (dense fallback only)
  segments_per_set: u32,
  eps: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

const NONE: u32 = 0xffffffffu;

override GROUPS_PER_QUAD: u32 = 1u;
override VEC4_GROUP: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> lists: array<u32>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> norm: array<f32>;
@group(0) @binding(5) var<storage, read_write> affine: array<f32>;

fn seg_start(s: u32) -> u32 { return lists[params.table + 2u + 2u * s]; }
fn seg_count(s: u32) -> u32 { return lists[params.table + 3u + 2u * s]; }

fn merge(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (n == 0.0) { return vec3<f32>(0.0); }
  let delta = b.y - a.y;
  let wb = b.x / n;
  return vec3<f32>(n, a.y + delta * wb, a.z + b.z + delta * delta * a.x * wb);
}

// Welford's update of (n, mean, M2) by one value.
fn add(acc: vec3<f32>, v: f32) -> vec3<f32> {
  let n = acc.x + 1.0;
  let delta = v - acc.y;
  let mean = acc.y + delta / n;
  return vec3<f32>(n, mean, acc.z + delta * (v - mean));
}

// The same for 4 groups at once: n shared, means and M2 per component.
struct Welford4 {
  n: f32,
  mean: vec4<f32>,
  m2: vec4<f32>,
};

fn add4(acc: Welford4, v: vec4<f32>) -> Welford4 {
  let n = acc.n + 1.0;
  let delta = v - acc.mean;
  let mean = acc.mean + delta / n;
  return Welford4(n, mean, acc.m2 + delta * (v - mean));
}

// Two groups of two channels in one quad: (x, y) and (z, w), each added in channel order.
fn add_pairs(acc: Welford4, v: vec4<f32>) -> Welford4 {
  let first = add4(acc, vec4<f32>(v.x, v.z, 0.0, 0.0));
  return add4(first, vec4<f32>(v.y, v.w, 0.0, 0.0));
}

fn x_at(i: u32) -> f32 { return x[i >> 2u][i & 3u]; }

@compute @workgroup_size(64)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  let lanes = params.groups / GROUPS_PER_QUAD;
  let g = i % lanes;   // GROUPS_PER_QUAD > 1: quad g, groups GROUPS_PER_QUAD·g …
  let k = i / lanes;
  let total = lists[params.table + 1u];
  let first = k * params.chunk_rows;
  if (first >= total) { return; }
  let last = min(first + params.chunk_rows, total);
  let dense = lists[params.table] != 0u;
  let c0 = g * params.group_channels;
  let c4 = params.channels / 4u;
  // The first segment that ends after `first`.
  var s = 0u;
  while (s < params.segments && seg_start(s) + seg_count(s) <= first) { s++; }
  var acc = vec3<f32>(0.0);
  var acc4 = Welford4(0.0, vec4<f32>(0.0), vec4<f32>(0.0));
  var r = first;
  loop {
    if (s >= params.segments) { break; }
    let start = seg_start(s);
    let end = start + seg_count(s);
    if (start >= last) { break; }
    r = max(r, start);
    let stop = min(end, last);
    for (; r < stop; r++) {
      if (dense && lists[params.map + r] == NONE) { continue; }
      if (GROUPS_PER_QUAD == 4u) {
        acc4 = add4(acc4, x[r * c4 + g]);
      } else if (GROUPS_PER_QUAD == 2u) {
        acc4 = add_pairs(acc4, x[r * c4 + g]);
      } else if (VEC4_GROUP) {
        let base = (r * params.channels + c0) >> 2u;
        for (var j = 0u; j < params.group_channels / 4u; j++) {
          let v = x[base + j];
          acc = add(add(add(add(acc, v.x), v.y), v.z), v.w);
        }
      } else {
        let base = r * params.channels + c0;
        for (var j = 0u; j < params.group_channels; j++) { acc = add(acc, x_at(base + j)); }
      }
    }
    if (GROUPS_PER_QUAD > 1u) {
      // add_pairs counts each of a row's two channels: per group n is right as it stands.
      let slot = (k + s) * params.groups + GROUPS_PER_QUAD * g;
      for (var j = 0u; j < GROUPS_PER_QUAD; j++) { partials[slot + j] = vec4<f32>(acc4.n, acc4.mean[j], acc4.m2[j], 0.0); }
      acc4 = Welford4(0.0, vec4<f32>(0.0), vec4<f32>(0.0));
    } else {
      partials[(k + s) * params.groups + g] = vec4<f32>(acc, 0.0);
      acc = vec3<f32>(0.0);
    }
    if (end > last) { break; }
    s++;
  }
}

@compute @workgroup_size(64)
fn finalize(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.segments * params.groups) { return; }
  let s = i / params.groups;
  let g = i - s * params.groups;
  let start = seg_start(s);
  let count = seg_count(s);
  var acc = vec3<f32>(0.0);
  if (count > 0u) {
    let k_last = (start + count - 1u) / params.chunk_rows;
    for (var k = start / params.chunk_rows; k <= k_last; k++) {
      acc = merge(acc, partials[(k + s) * params.groups + g].xyz);
    }
  }
  var mean = 0.0;
  var inv_std = 0.0;
  if (acc.x > 0.0) {
    mean = acc.y;
    inv_std = inverseSqrt(max(acc.z / acc.x, 0.0) + params.eps);
  }
  let affine_set = s / params.segments_per_set;
  let c = params.channels;
  for (var j = 0u; j < params.group_channels; j++) {
    let ch = g * params.group_channels + j;
    affine[(s * 3u) * c + ch] = mean;
    affine[(s * 3u + 1u) * c + ch] = inv_std * norm[(affine_set * 2u) * c + ch];
    affine[(s * 3u + 2u) * c + ch] = norm[(affine_set * 2u + 1u) * c + ch];
  }
}
