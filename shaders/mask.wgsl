// Active-pixel masks of a spatial gate map, one thread per pixel, gate and masks [N, H, W] f32:
//   quantize : mask[p]    = 1 if gate[p] > 0 else 0      (where conv2 of the depth path runs)
//   dilate   : dilated[p] = 1 if any gate > 0 in the 3×3 window around p, else 0
//              (= max-pool 3×3/1 pad 1 of the gate, active where > 0; padding never counts, and
//              windows stay inside their own image) — where conv1 runs, since conv2 reads a 3×3
//              neighbourhood of conv1's output.
//   both     : writes both.
// Values are 0/1 f32 so GroupNorm's mask mode and the compaction read them as they read a gate.
// Dispatch: ceil(N·H·W / 256) workgroups of 256, folded over x and y above 65535.

struct Params {
  pixels: u32,  // N · H · W
  height: u32,
  width: u32,
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> dilated: array<f32>;

fn pixel_index(wid: vec3<u32>, lid: u32, nwg: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

fn any_active_around(p: u32) -> bool {
  let w = params.width;
  let h = params.height;
  let x = i32(p % w);
  let y = i32((p / w) % h);
  for (var dy = -1; dy <= 1; dy++) {
    for (var dx = -1; dx <= 1; dx++) {
      let sy = y + dy;
      let sx = x + dx;
      if (sy < 0 || sx < 0 || sy >= i32(h) || sx >= i32(w)) { continue; }
      if (gate[u32(i32(p) + dy * i32(w) + dx)] > 0.0) { return true; }
    }
  }
  return false;
}

@compute @workgroup_size(256)
fn quantize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = pixel_index(wid, lid, nwg);
  if (p >= params.pixels) { return; }
  mask[p] = select(0.0, 1.0, gate[p] > 0.0);
}

@compute @workgroup_size(256)
fn dilate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
          @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = pixel_index(wid, lid, nwg);
  if (p >= params.pixels) { return; }
  dilated[p] = select(0.0, 1.0, any_active_around(p));
}

@compute @workgroup_size(256)
fn both(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = pixel_index(wid, lid, nwg);
  if (p >= params.pixels) { return; }
  mask[p] = select(0.0, 1.0, gate[p] > 0.0);
  dilated[p] = select(0.0, 1.0, any_active_around(p));
}
