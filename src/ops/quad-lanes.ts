import { workgroups1D, type Dispatch } from '../gpu/kernel';

/**
 * The host side of `shaders/include/quad-lanes.wgsl`: `lanes` channel-quad lanes per work item on
 * a GPU (a CPU adapter uses one, in the shader), and the dispatch, which depends only on the
 * items per workgroup, so it is the same on every adapter.
 */
export function quadLanes(lanes: number, items: number): { readonly constants: { readonly LANES: number }; readonly dispatch: Dispatch } {
  // At most 256 invocations per workgroup (WebGPU's default limit); lanes stride over the quads.
  const used = Math.min(lanes, 256);
  const itemsPerGroup = Math.max(1, Math.floor(256 / used));
  return { constants: { LANES: used }, dispatch: workgroups1D(Math.ceil(items / itemsPerGroup)) };
}
