/**
 * Makes errors thrown across the worker boundary keep their class, code, message and fields.
 * Comlink's own `throw` handler sends only `{ message, name, stack }` and rebuilds a plain
 * `Error`; this one wraps it: our errors travel as `SerializedError` and come back as instances
 * of the class their `code` names. Both sides (page and worker) must register it.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { deserializeError, serializeError, type SerializedError } from '../errors';

interface ThrownValue {
  readonly value: unknown;
}

interface WireError {
  readonly dynamicHeadError: SerializedError;
}

function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && 'dynamicHeadError' in value;
}

let registered = false;

export function registerErrorTransfer(): void {
  if (registered) return;
  const original = transferHandlers.get('throw') as TransferHandler<ThrownValue, unknown> | undefined;
  if (!original) throw new Error('comlink has no "throw" transfer handler to extend');
  const handler: TransferHandler<ThrownValue, unknown> = {
    canHandle: (value): value is ThrownValue => original.canHandle(value),
    serialize(thrown) {
      if (thrown.value instanceof Error) return [{ dynamicHeadError: serializeError(thrown.value) } satisfies WireError, []];
      return original.serialize(thrown);
    },
    deserialize(serialized) {
      if (isWireError(serialized)) throw deserializeError(serialized.dynamicHeadError);
      return original.deserialize(serialized);
    },
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
  registered = true;
}
