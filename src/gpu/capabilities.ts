import { DeviceRequirementsError } from '../errors';

/** Optional features the engine uses when present; each kernel keeps an f32 / non-subgroup path. */
export const OPTIONAL_FEATURES = ['shader-f16', 'timestamp-query', 'subgroups'] as const;
export type OptionalFeature = (typeof OPTIONAL_FEATURES)[number];

export type LimitName =
  | 'maxStorageBufferBindingSize'
  | 'maxBufferSize'
  | 'maxComputeWorkgroupStorageSize'
  | 'maxComputeInvocationsPerWorkgroup'
  | 'maxComputeWorkgroupSizeX'
  | 'maxComputeWorkgroupSizeY'
  | 'maxComputeWorkgroupsPerDimension'
  | 'maxStorageBuffersPerShaderStage';

/**
 * What the engine needs as a floor. A full-size P3 map (256 ch x 100 x 168 f32) is 17 MB and the
 * largest backbone activation (res2 at 800x1344: 256 x 200 x 336 f32) is 69 MB, so the WebGPU
 * default of 128 MiB per binding is enough; we still ask for the adapter's maximum so larger
 * inputs work where the hardware allows.
 */
export const REQUIRED_LIMITS: Readonly<Record<LimitName, number>> = {
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxBufferSize: 256 * 1024 * 1024,
  maxComputeWorkgroupStorageSize: 16 * 1024,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
};

export interface Capabilities {
  /** `shader-f16` is enabled on the device. */
  readonly f16: boolean;
  /** `timestamp-query` is enabled on the device: passes can be timed on the GPU. */
  readonly timestampQuery: boolean;
  /** `subgroups` is enabled on the device. */
  readonly subgroups: boolean;
  /** The limits the device was created with (the adapter's maxima for the ones we care about). */
  readonly limits: Readonly<Record<LimitName, number>>;
  readonly adapterInfo: { vendor: string; architecture: string; device: string; description: string };
  /**
   * The adapter runs shaders on the CPU (SwiftShader, llvmpipe/lavapipe, WARP, or one the
   * browser marks as a fallback adapter): some kernels pick fewer threads per workgroup there,
   * through the SOFTWARE_ADAPTER override (see adapterOverrides).
   */
  readonly softwareAdapter: boolean;
}

const SOFTWARE_ADAPTER_NAMES = /swiftshader|llvmpipe|lavapipe|\bwarp\b|basic render|software/i;

/** Whether the adapter described by `info` is a CPU implementation of WebGPU. */
export function isSoftwareAdapter(info: Partial<Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>> & { isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((text) => text && SOFTWARE_ADAPTER_NAMES.test(text));
}

/**
 * Override constants every shader that declares them receives from the runtime: kernels tuned
 * per kind of adapter read `SOFTWARE_ADAPTER` (a barrier or a dispatch costs far more, relative
 * to arithmetic, on a CPU implementation than on a GPU).
 */
export function adapterOverrides(capabilities: Pick<Capabilities, 'softwareAdapter'>): Record<string, number> {
  return { SOFTWARE_ADAPTER: capabilities.softwareAdapter ? 1 : 0 };
}

export interface DeviceRequest {
  requiredFeatures: GPUFeatureName[];
  requiredLimits: Record<string, number>;
}

/**
 * Decides what to ask the adapter for: every optional feature it offers, and for each limit the
 * adapter's maximum, failing clearly when the maximum is below the engine's floor.
 */
export function planDeviceRequest(
  adapter: GPUAdapter,
  wanted: { features?: readonly OptionalFeature[]; minimumLimits?: Partial<Record<LimitName, number>> } = {},
): DeviceRequest {
  const features = (wanted.features ?? OPTIONAL_FEATURES).filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  const shortfalls: string[] = [];
  for (const name of Object.keys(REQUIRED_LIMITS) as LimitName[]) {
    const floor = wanted.minimumLimits?.[name] ?? REQUIRED_LIMITS[name];
    const available = adapter.limits[name];
    if (available < floor) shortfalls.push(`${name} is ${available}, needs at least ${floor}`);
    requiredLimits[name] = available;
  }
  if (shortfalls.length > 0) throw new DeviceRequirementsError(shortfalls.join('; '));
  return { requiredFeatures: features as GPUFeatureName[], requiredLimits };
}

export function readCapabilities(adapter: GPUAdapter, device: GPUDevice): Capabilities {
  const limits = {} as Record<LimitName, number>;
  for (const name of Object.keys(REQUIRED_LIMITS) as LimitName[]) limits[name] = device.limits[name];
  const info = adapter.info;
  const adapterInfo = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
  };
  const fallback = (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    f16: device.features.has('shader-f16'),
    timestampQuery: device.features.has('timestamp-query'),
    subgroups: device.features.has('subgroups'),
    limits,
    adapterInfo,
    softwareAdapter: isSoftwareAdapter({ ...adapterInfo, isFallbackAdapter: fallback === true }),
  };
}
