/**
 * The protobuf schema of the weights header, parsed at run time from `weights/dynamic_head.proto`
 * (bundled as text) so the .proto file is the single source of truth and no code generation
 * step exists.
 */
import protobuf from 'protobufjs';
import protoText from '../../weights/dynamic_head.proto?raw';

let headerType: protobuf.Type | undefined;

export function weightsHeaderType(): protobuf.Type {
  if (!headerType) {
    const { root } = protobuf.parse(protoText);
    headerType = root.lookupType('dynamichead.weights.WeightsHeader');
  }
  return headerType;
}
