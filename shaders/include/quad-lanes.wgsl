// Work split of a kernel that runs per (work item, channel quad), work items being rows or pixel
// blocks of the packed head: a workgroup holds ITEMS_PER_GROUP items × QUAD_LANES lanes, and lane
// k does quads k, k + QUAD_LANES, … of its item. The host sets LANES (quad lanes per item on a
// GPU, so that neighbouring invocations read neighbouring quads) and sizes the dispatch by
// ITEMS_PER_GROUP alone. On a CPU adapter one invocation does every quad of its item: there the
// item's bookkeeping (its level, neighbours, gates), paid per invocation, costs more than the
// loads (the depthwise convs at C = 32: 81 ms a frame with 16 lanes, 31 with one).
override LANES: u32 = 64u;
override ITEMS_PER_GROUP: u32 = max(1u, 256u / LANES);
// Set by the runtime on CPU adapters (src/gpu/capabilities.ts).
override SOFTWARE_ADAPTER: bool = false;
override QUAD_LANES: u32 = select(LANES, 1u, SOFTWARE_ADAPTER);
