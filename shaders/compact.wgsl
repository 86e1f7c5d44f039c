// Stream compaction of a mask without a CPU read-back: the ascending list of active pixels
// (mask > 0), their count, and optionally pixel → position in that list.
// A deterministic reduce-then-scan over blocks of 1024 elements (THREADS threads × PER; PER = 4
// for the multi-block entries):
//   count_blocks : workgroup b counts the active pixels of block b      → sums[level 0][b]
//   reduce_level : workgroup b sums 1024 entries of one level            → sums[level + 1][b]
//                  (only when level 0 has more than 1024 blocks: > 1M pixels per level added)
//   scan_level   : workgroup b turns 1024 entries of one level into exclusive prefix sums, plus
//                  the (already scanned) parent entry; the top level is one workgroup and writes
//                  the grand total to count[0]. Top-down, so parents are ready before children.
//   scatter      : workgroup b rescans its block's mask and writes each active pixel p to
//                  rows[offset] (offset = block prefix + rank inside the block), and index_map[p]
//                  (0xffffffff where inactive) when MAP.
//   single       : small masks (≤ SINGLE_BLOCKS blocks, see compact.ts) in ONE dispatch and ONE
//                  barrier: each of SINGLE_THREADS threads counts a contiguous chunk of the mask,
//                  then sums the counts of the chunks before its own (≤ 255 adds of workgroup
//                  memory) and writes its chunk's rows / index_map; the last thread writes the
//                  total to count[0]. A dispatch, and on software adapters a barrier, costs more
//                  than these serial walks at the head's map sizes. With params.src > 0 it also
//                  writes one consumer's indirect arguments (so no separate arguments dispatch):
//                  dispatch_args[0 .. 2] ← ceil(count / params.src) workgroups when the count is
//                  at most params.dst (the sparse limit), else none; with params.parent ≠ 0,
//                  dispatch_args[3 .. 5] ← the dense fallback's workgroups for every pixel when
//                  the count is above it, else none.
// Everything is integer arithmetic in a fixed order, so results never depend on scheduling.
// Layout: mask f32 [pixels]; sums u32, every level packed one after another (offsets in params);
// rows u32 [pixels]; count u32 [1]; index_map u32 [pixels].
// Dispatch: ceil(entries / 1024) workgroups of THREADS per level, folded over x and y above 65535.

override MAP: bool = false;
// Elements per thread of the block entries (256 threads).
const PER: u32 = 4u;
// Set by the runtime for CPU implementations of WebGPU (see capabilities.ts).
override SOFTWARE_ADAPTER: bool = false;
// Threads of `single` (≤ 256): on a software adapter 16 (measured fastest of 16 … 256 at every
// map size up to 128×256 on SwiftShader: each extra group of threads costs more than its share of
// the walk saves); on a GPU 256, so the chunk walks stay short.
override SINGLE_THREADS: u32 = select(256u, 16u, SOFTWARE_ADAPTER);

const BLOCK: u32 = 1024u;
const THREADS: u32 = BLOCK / PER;
const NONE: u32 = 0xffffffffu;

struct Params {
  entries: u32,     // elements this dispatch covers (pixels, or entries of a sums level)
  src: u32,         // reduce_level / scan_level: offset of that level in sums;
                    // single: the consumer's rows per workgroup (0: write no arguments)
  dst: u32,         // reduce_level: offset of the next level; single: the sparse limit
  parent: u32,      // scan_level: offset of the parent level, or NONE at the top;
                    // single: 1 to write the dense fallback's arguments too
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<u32>;
@group(0) @binding(2) var<storage, read_write> dispatch_args: array<u32>; // single only
@group(0) @binding(3) var<storage, read_write> count: array<u32>;
@group(0) @binding(4) var<storage, read_write> rows: array<u32>;
@group(0) @binding(5) var<storage, read_write> index_map: array<u32>;

var<workgroup> partial: array<u32, 256>; // THREADS entries used
var<workgroup> row_offset: array<u32, 16>;
var<workgroup> total_shared: u32;

fn block_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

fn flag(i: u32) -> u32 {
  if (i >= params.entries) { return 0u; }
  return select(0u, 1u, mask[i] > 0.0);
}

fn level_entry(i: u32) -> u32 {
  if (i >= params.entries) { return 0u; }
  return sums[params.src + i];
}

// Exclusive prefix of `v` over the workgroup's threads and the workgroup total. Two short serial
// levels (THREADS / 16 threads scan 16 entries each, then one thread scans the row sums) need 4
// barriers where a Hillis–Steele tree needs 18; barriers dominate on software adapters and
// the serial steps are 32 adds on any GPU.
fn workgroup_scan(lid: u32, v: u32) -> vec2<u32> {
  partial[lid] = v;
  workgroupBarrier();
  let row_count = THREADS / 16u;
  if (lid < row_count) {
    var run = 0u;
    for (var j = 0u; j < 16u; j++) {
      run += partial[lid * 16u + j];
      partial[lid * 16u + j] = run;
    }
    row_offset[lid] = run;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var run = 0u;
    for (var r = 0u; r < row_count; r++) {
      let t = row_offset[r];
      row_offset[r] = run;
      run += t;
    }
    total_shared = run;
  }
  workgroupBarrier();
  let inclusive = partial[lid] + row_offset[lid / 16u];
  let total = total_shared;
  workgroupBarrier();
  return vec2<u32>(inclusive - v, total);
}

@compute @workgroup_size(THREADS)
fn count_blocks(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = block_index(wid, nwg);
  let base = b * BLOCK + lid * PER;
  let scan = workgroup_scan(lid, count_flags(base, base + PER));
  if (lid == 0u && b * BLOCK < params.entries) { sums[b] = scan.y; }
}

@compute @workgroup_size(THREADS)
fn reduce_level(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = block_index(wid, nwg);
  let base = b * BLOCK + lid * 4u;
  let v = level_entry(base) + level_entry(base + 1u) + level_entry(base + 2u) + level_entry(base + 3u);
  let scan = workgroup_scan(lid, v);
  if (lid == 0u && b * BLOCK < params.entries) { sums[params.dst + b] = scan.y; }
}

@compute @workgroup_size(THREADS)
fn scan_level(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = block_index(wid, nwg);
  let base = b * BLOCK + lid * 4u;
  let e = vec4<u32>(level_entry(base), level_entry(base + 1u), level_entry(base + 2u), level_entry(base + 3u));
  let scan = workgroup_scan(lid, e.x + e.y + e.z + e.w);
  var offset = scan.x;
  if (params.parent != NONE) { offset += sums[params.parent + b]; }
  let exclusive = vec4<u32>(offset, offset + e.x, offset + e.x + e.y, offset + e.x + e.y + e.z);
  for (var j = 0u; j < 4u; j++) {
    if (base + j < params.entries) { sums[params.src + base + j] = exclusive[j]; }
  }
  if (params.parent == NONE && lid == 0u) { count[0] = scan.y; }
}

// Writes the active ones of pixels [lo, hi) to rows[first ...] and, with MAP, every one of them
// to index_map; returns the position after the last one written.
fn write_rows(lo: u32, hi: u32, first: u32) -> u32 {
  var next = first;
  for (var p = lo; p < hi; p++) {
    if (flag(p) == 1u) {
      rows[next] = p;
      if (MAP) { index_map[p] = next; }
      next += 1u;
    } else if (MAP) {
      index_map[p] = NONE;
    }
  }
  return next;
}

// Active pixels among [lo, hi) (flag() is 0 past the end).
fn count_flags(lo: u32, hi: u32) -> u32 {
  var v = 0u;
  for (var p = lo; p < hi; p++) { v += flag(p); }
  return v;
}

@compute @workgroup_size(THREADS)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = block_index(wid, nwg);
  let base = b * BLOCK + lid * PER;
  let scan = workgroup_scan(lid, count_flags(base, base + PER));
  if (b * BLOCK >= params.entries) { return; }
  write_rows(base, min(base + PER, params.entries), sums[b] + scan.x);
}

@compute @workgroup_size(SINGLE_THREADS)
fn single(@builtin(local_invocation_index) lid: u32) {
  let per = (params.entries + SINGLE_THREADS - 1u) / SINGLE_THREADS;
  let lo = min(params.entries, lid * per);
  let hi = min(params.entries, lo + per);
  partial[lid] = count_flags(lo, hi);
  workgroupBarrier();
  var offset = 0u;
  for (var j = 0u; j < lid; j++) { offset += partial[j]; }
  let end = write_rows(lo, hi, offset);
  if (lid == SINGLE_THREADS - 1u) {
    count[0] = end;
    if (params.src > 0u) { write_dispatch(end); }
  }
}

// Indirect arguments for ceil(row_count / params.src) workgroups at dispatch_args[at .. at + 2],
// folded into y above 65535; (0, 0, 0) for no rows.
fn write_groups(at: u32, row_count: u32) {
  let groups = (row_count + params.src - 1u) / params.src;
  let y = max(1u, (groups + 65534u) / 65535u);
  let none = groups == 0u;
  dispatch_args[at] = (groups + y - 1u) / y;
  dispatch_args[at + 1u] = select(y, 0u, none);
  dispatch_args[at + 2u] = select(1u, 0u, none);
}

fn write_dispatch(total: u32) {
  let sparse = total <= params.dst;
  write_groups(0u, select(0u, total, sparse));
  if (params.parent != 0u) { write_groups(3u, select(params.entries, 0u, sparse)); }
}
