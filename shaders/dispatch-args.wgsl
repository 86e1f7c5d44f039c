// Writes dispatchWorkgroupsIndirect arguments from a GPU-side row count, so kernels that work on
// the active pixels are sized without a read-back, and picks sparse vs dense for the fallback:
//   use_sparse = count ≤ params.sparse_limit (the crossover, in rows).
// Entry i of `entries` (vec4: kind + 16·when, a, b, c) becomes args[3i .. 3i+2]:
//   kind 0 FIXED   : (a, b, c)
//   kind 1 ROWS_Y  : (a, ceil(count / b), 1)                      (conv2d: x = Cout tiles)
//   kind 2 ROWS_1D : u = ceil(count / b) workgroups, as (u, 1, 1), or folded as (x, y, 1) with
//                    x·y ≥ u and x, y ≤ 65535 (the consumer rebuilds wid.x + wid.y·nwg.x and
//                    bounds-checks against count)
//   when 0 ALWAYS, 1 IF_SPARSE, 2 IF_DENSE: otherwise the entry is (0, 0, 0), no workgroups.
// count = 0 gives 0 workgroups for the row kinds (never a division by zero: b ≥ 1 host-side).
// selection ← (count, use_sparse, sparse_limit, 0), read by epilogues that must know the choice.
// Dispatch: (1, 1, 1), one workgroup of 64 threads.

struct Params {
  entries: u32,
  sparse_limit: u32,
  _pad0: u32,
  _pad1: u32,
  spec: array<vec4<u32>, 16>,
};

const MAX_DIM: u32 = 65535u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> count: array<u32>;
@group(0) @binding(2) var<storage, read_write> args: array<u32>;
@group(0) @binding(3) var<storage, read_write> selection: array<u32>;

fn ceil_div(a: u32, b: u32) -> u32 {
  return (a + b - 1u) / max(b, 1u);
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) i: u32) {
  let n = count[0];
  let sparse = n <= params.sparse_limit;
  if (i == 0u) {
    selection[0] = n;
    selection[1] = select(0u, 1u, sparse);
    selection[2] = params.sparse_limit;
    selection[3] = 0u;
  }
  if (i >= params.entries) { return; }
  let e = params.spec[i];
  let kind = e.x & 15u;
  let when = e.x >> 4u;
  var out = vec3<u32>(0u);
  if (when == 0u || (when == 1u && sparse) || (when == 2u && !sparse)) {
    if (kind == 0u) {
      out = e.yzw;
    } else if (kind == 1u) {
      out = vec3<u32>(e.y, ceil_div(n, e.z), 1u);
    } else {
      let u = ceil_div(n, e.z);
      if (u <= MAX_DIM) {
        out = vec3<u32>(u, 1u, 1u);
      } else {
        let y = ceil_div(u, MAX_DIM);
        out = vec3<u32>(ceil_div(u, y), y, 1u);
      }
    }
    // A dimension of 0 anywhere means no workgroups at all; make that explicit.
    if (out.x == 0u || out.y == 0u || out.z == 0u) { out = vec3<u32>(0u); }
  }
  args[i * 3u] = out.x;
  args[i * 3u + 1u] = out.y;
  args[i * 3u + 2u] = out.z;
}
