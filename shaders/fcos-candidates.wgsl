// FCOS candidate selection on the GPU (spec §5; src/model/fcos-postprocess.ts does the same on
// the CPU): per level, the class probabilities p = σ(logit) above the score threshold, the top
// k_l = min(topk, H_l·W_l) of them by p descending, ties by the lower flat index (loc·K + class)
// — what a stable sort of p followed by `p > thresh` keeps, in that order — and their boxes
// decoded. p and σ(centerness) are bit-identical to the CPU's (include/exact-sigmoid.wgsl);
// every comparison is on integers, so the set and the order cannot depend on the GPU.
//
// Layout: cls [R][K] logits and box_ctr [R][5] ((l, t, r, b) · stride, centerness logit) of the
// packed predictors (one tower, rows in level order); probs [R·K] p bits, 0 where a logit fails
// (its prefilter `logit ≥ cut`, or p ≤ thresh); work: per level 8 state words, then a 4096-bin
// histogram per level, zeroed before `score`; sure [Σ k_l] and boundary [R·K] element lists;
// out: 8 count words, then per level k_l records of 7 words
//   (x1, y1, x2, y2, p, σ(centerness), flat index), in selection order.
// A bucket is (p_bits − thresh_bits − 1) >> shift, monotone in p, < 4096.
//
// Entry points, in this order (plus `sigmoid_map`, the exact sigmoid alone, for tests):
//   score   one thread per element: p, probs, histogram.            ceil(R·K / 256), folded
//   bucket  one workgroup per level: the bucket holding the k-th.  (L, 1, 1)
//   gather  one thread per element: above it → sure, in it → boundary.   like score
//   finish  one workgroup per level: the k best of sure ∪ boundary (a radix select over the
//           boundary's keys when they do not fit the 1024-entry sort), bitonic sort, decode.
//           (L, 1, 1)

struct Params {
  classes: u32,            // K
  elements: u32,           // R·K
  _pad0: u32,
  _pad1: u32,
  topk: array<vec4<u32>, 2>,     // k_l
  slot: array<vec4<u32>, 2>,     // first record of level l (Σ k of the levels before)
  stride: array<vec4<u32>, 2>,   // input pixels per feature pixel
};

struct Settings {
  thresh: u32,             // float32 bits of the score threshold
  cut: u32,                // float32 bits of the logit prefilter (logit ≥ cut)
  _pad0: u32,
  _pad1: u32,
};

const NONE: u32 = 0xffffffffu;
const BINS: u32 = 4096u;
const STATE_WORDS: u32 = 8u;
const HIST: u32 = 64u;           // 8 levels × STATE_WORDS
const SORT: u32 = 1024u;
const HEADER: u32 = 8u;
const RECORD: u32 = 7u;
// State words of a level.
const S_SURE_MIN: u32 = 0u;      // buckets ≥ this are in for sure
const S_EDGE: u32 = 1u;          // the bucket holding the k-th (NONE: none)
const S_NEED: u32 = 2u;          // how many the edge bucket gives
const S_SURE: u32 = 4u;          // sure list length (atomic)
const S_BOUNDARY: u32 = 5u;      // boundary list length (atomic)

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> levels: PackedLevels;
@group(0) @binding(2) var<storage, read> settings: Settings;
@group(0) @binding(3) var<storage, read> cls: array<f32>;
@group(0) @binding(4) var<storage, read> box_ctr: array<f32>;
@group(0) @binding(5) var<storage, read_write> probs: array<u32>;
@group(0) @binding(6) var<storage, read_write> work: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> sure: array<u32>;
@group(0) @binding(8) var<storage, read_write> boundary: array<u32>;
@group(0) @binding(9) var<storage, read_write> out: array<u32>;

#include <packed-levels>
#include <exact-sigmoid>

fn level_topk(l: u32) -> u32 { return params.topk[l >> 2u][l & 3u]; }
fn level_slot(l: u32) -> u32 { return params.slot[l >> 2u][l & 3u]; }
fn level_stride(l: u32) -> u32 { return params.stride[l >> 2u][l & 3u]; }

// Total order of float32 bits (−0 as +0); NaN is filtered before.
fn order_key(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b ^ 0x80000000u, ~b, (b >> 31u) != 0u);
}

fn bucket_shift() -> u32 {
  let top = F32_ONE - min(settings.thresh, F32_ONE - 1u) - 1u;   // the largest key, p = 1
  return u32(max(0, i32(firstLeadingBit(top)) + 1 - 12));
}

fn element_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn sigmoid_map(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let i = element_index(wid, nwg, lid);
  if (i >= params.elements) { return; }
  probs[i] = sigmoid_rn(bitcast<u32>(cls[i]));
}

@compute @workgroup_size(256)
fn score(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
  let i = element_index(wid, nwg, lid);
  if (i >= params.elements) { return; }
  let x = bitcast<u32>(cls[i]);
  var p = 0u;
  if ((x & 0x7fffffffu) <= F32_INF && order_key(x) >= order_key(settings.cut)) {
    p = sigmoid_rn(x);
    if (p <= settings.thresh) { p = 0u; }
  }
  probs[i] = p;
  if (p == 0u) { return; }
  let l = locate_row(i / params.classes).level;
  atomicAdd(&work[HIST + l * BINS + ((p - settings.thresh - 1u) >> bucket_shift())], 1u);
}

var<workgroup> partial: array<u32, 256>;

@compute @workgroup_size(256)
fn bucket(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let l = wid.x;
  let k = level_topk(l);
  let hist = HIST + l * BINS;
  let state = l * STATE_WORDS;
  let per = BINS / 256u;
  var sum = 0u;
  for (var j = 0u; j < per; j++) { sum += atomicLoad(&work[hist + lid * per + j]); }
  partial[lid] = sum;
  workgroupBarrier();
  var total = 0u;
  var above = 0u;
  for (var t = 0u; t < 256u; t++) {
    total += partial[t];
    if (t > lid) { above += partial[t]; }
  }
  if (total <= k) {
    // Every passing element is in (none at all when k = 0).
    if (lid == 0u) {
      atomicStore(&work[state + S_SURE_MIN], 0u);
      atomicStore(&work[state + S_EDGE], NONE);
    }
    return;
  }
  if (k == 0u) {
    if (lid == 0u) {
      atomicStore(&work[state + S_SURE_MIN], BINS);
      atomicStore(&work[state + S_EDGE], NONE);
    }
    return;
  }
  // The thread whose bins hold the k-th largest walks them from the top.
  if (above < k && above + sum >= k) {
    var c = above;
    for (var j = i32(per) - 1; j >= 0; j--) {
      let b = lid * per + u32(j);
      let h = atomicLoad(&work[hist + b]);
      if (c + h >= k) {
        atomicStore(&work[state + S_SURE_MIN], b + 1u);
        atomicStore(&work[state + S_EDGE], b);
        atomicStore(&work[state + S_NEED], k - c);
        break;
      }
      c += h;
    }
  }
}

@compute @workgroup_size(256)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let i = element_index(wid, nwg, lid);
  if (i >= params.elements) { return; }
  let p = probs[i];
  if (p == 0u) { return; }
  let pos = locate_row(i / params.classes);
  let l = pos.level;
  let state = l * STATE_WORDS;
  let b = (p - settings.thresh - 1u) >> bucket_shift();
  if (b >= atomicLoad(&work[state + S_SURE_MIN])) {
    let slot = atomicAdd(&work[state + S_SURE], 1u);
    if (slot < level_topk(l)) { sure[level_slot(l) + slot] = i; }
  } else if (b == atomicLoad(&work[state + S_EDGE])) {
    let slot = atomicAdd(&work[state + S_BOUNDARY], 1u);
    let first = pos.first * params.classes;
    if (slot < pos.h * pos.w * params.classes) { boundary[first + slot] = i; }
  }
}

var<workgroup> sort_p: array<u32, 1024>;
var<workgroup> sort_i: array<u32, 1024>;
var<workgroup> digits: array<atomic<u32>, 256>;
var<workgroup> filled: atomic<u32>;
var<workgroup> w_sure: u32;
var<workgroup> w_boundary: u32;
var<workgroup> w_edge: u32;
var<workgroup> w_need: u32;
var<workgroup> w_want: u32;
var<workgroup> w_prefix: vec2<u32>;    // known bits of the threshold key (hi, lo)
var<workgroup> w_unknown: vec2<u32>;   // bits of hi, lo still unknown

// a ranks before b: higher p, then the lower index.
fn better(pa: u32, ia: u32, pb: u32, ib: u32) -> bool {
  return pa > pb || (pa == pb && ia < ib);
}

fn shr(x: u32, s: u32) -> u32 { return select(x >> s, 0u, s >= 32u); }

@compute @workgroup_size(256)
fn finish(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let l = wid.x;
  let k = level_topk(l);
  let state = l * STATE_WORDS;
  let first_el = level_offset(l) * params.classes;
  let level_el = level_height(l) * level_width(l) * params.classes;
  if (lid == 0u) {
    w_sure = min(atomicLoad(&work[state + S_SURE]), k);
    w_boundary = atomicLoad(&work[state + S_BOUNDARY]);
    w_edge = atomicLoad(&work[state + S_EDGE]);
    w_need = atomicLoad(&work[state + S_NEED]);
  }
  let g = workgroupUniformLoad(&w_sure);
  let nb = min(workgroupUniformLoad(&w_boundary), level_el);
  let edge = workgroupUniformLoad(&w_edge);
  let need = min(workgroupUniformLoad(&w_need), k - g);
  let sure_at = level_slot(l);
  for (var j = lid; j < g; j += 256u) {
    let i = sure[sure_at + j];
    sort_p[j] = probs[i];
    sort_i[j] = i - first_el;
  }
  var m = g;
  if (edge != NONE) {
    if (g + nb <= SORT) {
      // Everything fits: sort it all and keep the first k.
      for (var j = lid; j < nb; j += 256u) {
        let i = boundary[first_el + j];
        sort_p[g + j] = probs[i];
        sort_i[g + j] = i - first_el;
      }
      m = g + nb;
    } else {
      // Radix select: the need-th largest key (hi = p − thresh − 1, lo = lo_max − index) of the
      // boundary, 8 bits at a time below the bucket's own bits.
      let thresh = settings.thresh;
      let shift = bucket_shift();
      let lo_bits = 32u - countLeadingZeros(level_el - 1u);
      let lo_max = select((1u << lo_bits) - 1u, NONE, lo_bits == 32u);
      if (lid == 0u) {
        w_want = need;
        w_prefix = vec2<u32>(edge << shift, 0u);
        w_unknown = vec2<u32>(shift, lo_bits);
      }
      loop {
        let unknown = workgroupUniformLoad(&w_unknown);
        if (unknown.x == 0u && unknown.y == 0u) { break; }
        let prefix = workgroupUniformLoad(&w_prefix);
        let in_hi = unknown.x > 0u;
        let u = select(unknown.y, unknown.x, in_hi);
        let width = min(8u, u);
        atomicStore(&digits[lid], 0u);
        workgroupBarrier();
        for (var j = lid; j < nb; j += 256u) {
          let i = boundary[first_el + j];
          let hi = probs[i] - thresh - 1u;
          let lo = lo_max - (i - first_el);
          var matches = shr(hi, unknown.x) == shr(prefix.x, unknown.x);
          if (!in_hi) { matches = hi == prefix.x && shr(lo, unknown.y) == shr(prefix.y, unknown.y); }
          if (matches) {
            let d = (select(lo, hi, in_hi) >> (u - width)) & ((1u << width) - 1u);
            atomicAdd(&digits[d], 1u);
          }
        }
        workgroupBarrier();
        if (lid == 0u) {
          var want = w_want;
          var c = 0u;
          var d = i32((1u << width) - 1u);
          var h = 0u;
          loop {
            h = atomicLoad(&digits[d]);
            if (c + h >= want || d == 0) { break; }
            c += h;
            d--;
          }
          want -= c;
          let placed = u32(d) << (u - width);
          var next = unknown;
          var pre = prefix;
          if (in_hi) {
            pre.x = pre.x | placed;
            next.x = u - width;
          } else {
            pre.y = pre.y | placed;
            next.y = u - width;
          }
          // The digit's elements are exactly the ones still wanted: the threshold is its start.
          if (h == want) { next = vec2<u32>(0u); }
          w_want = want;
          w_prefix = pre;
          w_unknown = next;
        }
      }
      let key = workgroupUniformLoad(&w_prefix);
      for (var j = lid; j < nb; j += 256u) {
        let i = boundary[first_el + j];
        let hi = probs[i] - thresh - 1u;
        let lo = lo_max - (i - first_el);
        if (hi > key.x || (hi == key.x && lo >= key.y)) {
          let slot = g + atomicAdd(&filled, 1u);
          if (slot < SORT) {
            sort_p[slot] = probs[i];
            sort_i[slot] = i - first_el;
          }
        }
      }
      m = g + need;
    }
  }
  m = min(m, SORT);
  let count = min(m, k);
  // Pad to a power of two with entries that rank last, then a bitonic sort, best first.
  var n = 2u;
  while (n < m) { n = n << 1u; }
  for (var j = m + lid; j < n; j += 256u) {
    sort_p[j] = 0u;
    sort_i[j] = NONE;
  }
  workgroupBarrier();
  for (var size = 2u; size <= n; size = size << 1u) {
    for (var stride = size >> 1u; stride > 0u; stride = stride >> 1u) {
      for (var t = lid; t < n / 2u; t += 256u) {
        let a = (t / stride) * 2u * stride + t % stride;
        let b = a + stride;
        let pa = sort_p[a];
        let ia = sort_i[a];
        let pb = sort_p[b];
        let ib = sort_i[b];
        let first_wins = better(pa, ia, pb, ib);
        if (((a & size) == 0u) != first_wins) {
          sort_p[a] = pb;
          sort_i[a] = ib;
          sort_p[b] = pa;
          sort_i[b] = ia;
        }
      }
      workgroupBarrier();
    }
  }
  // Decode: the point (x·stride, y·stride) ∓ the distances, as the CPU does.
  let classes = params.classes;
  let stride_px = level_stride(l);
  let w = level_width(l);
  let out_at = HEADER + level_slot(l) * RECORD;
  for (var j = lid; j < count; j += 256u) {
    let flat = sort_i[j];
    let loc = flat / classes;
    let row = level_offset(l) + loc;
    let y = loc / w;
    let px = f32((loc - y * w) * stride_px);
    let py = f32(y * stride_px);
    let o = out_at + j * RECORD;
    out[o] = bitcast<u32>(px - box_ctr[row * 5u]);
    out[o + 1u] = bitcast<u32>(py - box_ctr[row * 5u + 1u]);
    out[o + 2u] = bitcast<u32>(px + box_ctr[row * 5u + 2u]);
    out[o + 3u] = bitcast<u32>(py + box_ctr[row * 5u + 3u]);
    out[o + 4u] = sort_p[j];
    out[o + 5u] = sigmoid_rn(bitcast<u32>(box_ctr[row * 5u + 4u]));
    out[o + 6u] = flat;
  }
  if (lid == 0u) { out[l] = count; }
}
