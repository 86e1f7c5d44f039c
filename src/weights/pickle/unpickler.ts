/**
 * A pickle virtual machine that only builds data. It understands the opcodes of protocols 0–5,
 * resolves globals through the whitelist in `globals.ts` (refusing everything else at the
 * GLOBAL / STACK_GLOBAL / INST opcode), and checks every read, size and count, so a malformed or
 * hostile file ends in a typed error — never in code execution, a hang or an unbounded
 * allocation.
 */
import { CheckpointFormatError, UnsafeCheckpointError } from '../../errors';
import { buildObject, callGlobal, hashableKey, resolveGlobal, type AllocationBudget } from './globals';
import { PyDict, PyGlobal, PyList, PySet, PyTuple, type PyValue } from './values';

export interface PickleLimits {
  /** Most values on the stack at once. */
  maxStack: number;
  /** Most memo entries. */
  maxMemo: number;
  /** Most open MARKs (nesting depth of containers being built). */
  maxMarks: number;
  /** Longest LONG1/LONG4 integer in bytes. */
  maxLongBytes: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxStack: 1 << 22,
  maxMemo: 1 << 22,
  maxMarks: 4096,
  maxLongBytes: 256,
};

export interface UnpickleOptions {
  /** Resolves a persistent id (a torch storage reference); absent → persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  limits?: Partial<PickleLimits>;
  /** Shared allocation budget (see `createBudget`). */
  budget?: AllocationBudget;
}

/** A byte budget; exceeding it is a format error (a small file must not expand without limit). */
export function createBudget(maxBytes: number): AllocationBudget {
  let used = 0;
  return {
    charge(bytes: number) {
      used += bytes;
      if (used > maxBytes) {
        throw new CheckpointFormatError(`the pickle expands to more than ${maxBytes} bytes of data`);
      }
    },
  };
}

const utf8 = new TextDecoder('utf-8');

/** Unpickles one pickle starting at `start`; returns the value and the offset after STOP. */
export function unpickle(bytes: Uint8Array, start = 0, options: UnpickleOptions = {}): { value: PyValue; end: number } {
  const limits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
  const budget = options.budget ?? createBudget(4 * bytes.length + (1 << 20));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = start;

  const fail = (message: string): never => {
    throw new CheckpointFormatError(`${message} (pickle offset ${pos - start})`);
  };
  const need = (n: number): number => {
    if (!(n >= 0) || pos + n > bytes.length) fail('unexpected end of data');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => bytes[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = (): number => {
    const at = need(8);
    const hi = view.getUint32(at + 4, true);
    if (hi > 0x1fffff) fail('8-byte length beyond 2^53');
    return hi * 2 ** 32 + view.getUint32(at, true);
  };
  const slice = (n: number): Uint8Array => {
    const at = need(n);
    return bytes.subarray(at, at + n);
  };
  const text = (n: number): string => utf8.decode(slice(n));
  const latin1 = (n: number): string => {
    budget.charge(n);
    const raw = slice(n);
    let out = '';
    for (let i = 0; i < raw.length; i += 8192) out += String.fromCharCode(...raw.subarray(i, i + 8192));
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const raw = bytes.subarray(pos, end);
    pos = end + 1;
    let out = '';
    for (let i = 0; i < raw.length; i += 8192) out += String.fromCharCode(...raw.subarray(i, i + 8192));
    return out;
  };

  const frameBase = () => (marks.length > 0 ? marks[marks.length - 1] : 0);
  const push = (v: PyValue) => {
    if (stack.length >= limits.maxStack) fail('pickle stack too deep');
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length <= frameBase()) fail('pickle stack underflow');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length <= frameBase()) fail('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const base = marks.pop();
    if (base === undefined) fail('no MARK on the stack');
    return stack.splice(base as number);
  };
  const memoPut = (index: number) => {
    if (!memo.has(index) && memo.size >= limits.maxMemo) fail('too many memo entries');
    memo.set(index, top());
  };
  const memoGet = (index: number) => {
    const v = memo.get(index);
    if (v === undefined) fail(`memo entry ${index} does not exist`);
    push(v as PyValue);
  };
  const call = (fn: PyValue, args: PyValue): PyValue => {
    if (!(fn instanceof PyGlobal)) return fail('call of something that is not a whitelisted global');
    if (!(args instanceof PyTuple)) return fail('call arguments are not a tuple');
    return callGlobal(fn as PyGlobal, (args as PyTuple).items, budget);
  };
  const longFromBytes = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
    if (raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const intFromText = (s: string): number | bigint => {
    const t = s.trim().replace(/L$/, '');
    if (!/^[+-]?\d{1,400}$/.test(t)) return fail('bad integer literal');
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (dict: PyValue, items: PyValue[]) => {
    if (!(dict instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).map.set(hashableKey(items[i]), items[i + 1]);
  };
  const appendItems = (list: PyValue, items: PyValue[]) => {
    if (!(list instanceof PyList)) fail('APPEND(S) on something that is not a list');
    for (const item of items) (list as PyList).items.push(item);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol newer than 5');
        break;
      case 0x95: // FRAME: a framing hint only; its length must still fit
        if (u64() > bytes.length - pos) fail('frame longer than the data');
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        if (marks.length >= limits.maxMarks) fail('containers nested too deeply');
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (stack.length > frameBase()) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      // ---- constants
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const n = op === 0x8a ? u8() : i32();
        if (n < 0 || n > limits.maxLongBytes) fail('integer too long');
        push(longFromBytes(slice(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        push(view.getFloat64(need(8), false));
        break;
      case 0x49: {
        // INT (text; "00"/"01" are the protocol-0 booleans)
        const s = line();
        push(s === '00' ? false : s === '01' ? true : intFromText(s));
        break;
      }
      case 0x4c: // LONG (text)
        push(intFromText(line()));
        break;
      case 0x46: {
        // FLOAT (text)
        const v = Number(line().trim());
        if (Number.isNaN(v)) fail('bad float literal');
        push(v);
        break;
      }
      // ---- strings and bytes
      case 0x58: // BINUNICODE
        push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(text(u64()));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        push(decodeRawUnicodeEscape(line()));
        break;
      case 0x53: // STRING (quoted repr; Python 2 str, read as latin-1 text)
        push(decodeQuoted(line(), fail));
        break;
      case 0x54: // BINSTRING
        push(latin1(i32()));
        break;
      case 0x55: // SHORT_BINSTRING
        push(latin1(u8()));
        break;
      case 0x42: // BINBYTES
        push(slice(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        push(slice(u8()));
        break;
      case 0x8e: // BINBYTES8
        push(slice(u64()));
        break;
      case 0x96: // BYTEARRAY8
        push(slice(u64()));
        break;
      case 0x97: // NEXT_BUFFER
        fail('out-of-band pickle buffers are not supported');
        break;
      case 0x98: // READONLY_BUFFER: marks the top buffer read-only; ours are never written
        top();
        break;
      // ---- containers
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        push(new PyList());
        break;
      case 0x6c: {
        // LIST
        const list = new PyList();
        appendItems(list, popMark());
        push(list);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PyDict();
        setItems(dict, popMark());
        push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new PySet());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof PySet)) fail('ADDITEMS on something that is not a set');
        (set as PySet).items.push(...items);
        break;
      }
      case 0x91: {
        // FROZENSET
        const set = new PySet();
        set.items.push(...popMark());
        push(set);
        break;
      }
      // ---- memo
      case 0x70: // PUT (text)
        memoPut(Number(intFromText(line())));
        break;
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x67: // GET (text)
        memoGet(Number(intFromText(line())));
        break;
      case 0x68: // BINGET
        memoGet(u8());
        break;
      case 0x6a: // LONG_BINGET
        memoGet(u32());
        break;
      // ---- globals and objects: the whitelist is checked here, before anything is called
      case 0x63: {
        // GLOBAL
        const module = line();
        push(resolveGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x69: {
        // INST
        const module = line();
        const fn = resolveGlobal(module, line());
        push(call(fn, new PyTuple(popMark())));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        push(call(items[0], new PyTuple(items.slice(1))));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84: {
        // EXT1/2/4: a copyreg extension code names an arbitrary global
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        throw new UnsafeCheckpointError(`copyreg extension code ${code}`);
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        push(call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof PyDict) || kwargs.map.size > 0) fail('NEWOBJ_EX with keyword arguments');
        push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        buildObject(top(), state, budget);
        break;
      }
      case 0x50: {
        // PERSID (text)
        if (!options.persistentLoad) fail('persistent id in a plain pickle');
        push(options.persistentLoad!(line()));
        break;
      }
      case 0x51: {
        // BINPERSID
        if (!options.persistentLoad) fail('persistent id in a plain pickle');
        push(options.persistentLoad!(pop()));
        break;
      }
      default:
        pos--;
        fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Python's raw-unicode-escape: only \uXXXX and \UXXXXXXXX are escapes. */
function decodeRawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (m, u4: string | undefined, u8: string | undefined) => {
    const cp = parseInt(u4 ?? u8 ?? '', 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** A protocol-0 STRING argument: a quoted Python 2 repr with backslash escapes. */
function decodeQuoted(s: string, fail: (m: string) => never): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s.length < 2 || s[s.length - 1] !== q) fail('bad STRING literal');
  const body = s.slice(1, -1);
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return simple[e] ?? `\\${e}`;
  });
}
