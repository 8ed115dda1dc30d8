// [both] A chunk's outcomes in shared memory, written by the worker as each item ends: when the
// thread dies mid-chunk (out of memory, a timeout stops it), the items that had finished keep their
// results and errors, so that none of them runs twice.
//
// Layout, rewritten from offset 0 by each chunk of a slot: two float64 per item (its kind, then the
// number itself or where its bytes are), then a heap of bytes, each after a u32 length: a string's
// UTF-16 code units as they are (a bigint's as its decimal digits), anything else `v8.serialize`d;
// but a small plain object's or array's JSON text, followed by a comma (see `plainKind`).
// The buffer grows as the heap needs (virtual memory is reserved once, up to `maxLogBytes`); a value
// that would pass that limit goes in the reply instead.
import { deserialize, serialize } from 'node:v8';
import { type ErrorRecord, toErrorRecord } from './error-record.js';
import { plainJson } from './plain-json.js';

// kept from the thread's start: a function that replaces these while it runs cannot break the log
const setUint32 = Function.prototype.call.bind(DataView.prototype.setUint32) as (
  view: DataView,
  offset: number,
  value: number,
  littleEndian: boolean,
) => void;
const setUint16 = Function.prototype.call.bind(DataView.prototype.setUint16) as (
  view: DataView,
  offset: number,
  value: number,
  littleEndian: boolean,
) => void;
const comma = 0x2c;
const setBytes = Function.prototype.call.bind(Uint8Array.prototype.set) as (
  target: Uint8Array,
  source: Uint8Array,
) => void;
const grow = (SharedArrayBuffer.prototype as unknown as { grow?: (length: number) => void }).grow;
const call = Function.prototype.call.bind(Function.prototype.call) as (
  fn: Function,
  self: unknown,
  ...args: unknown[]
) => unknown;
const { DataView: View, Uint8Array: Bytes, Float64Array: Floats } = globalThis;
const bufferOver = Buffer.from as (memory: SharedArrayBuffer) => Buffer;
const writeText = Function.prototype.call.bind(Buffer.prototype.write) as (
  buffer: Buffer,
  text: string,
  offset: number,
  length: number,
  encoding: 'utf16le',
) => number;
const digitsOf = Function.prototype.call.bind(BigInt.prototype.toString) as (n: bigint) => string;

const initialLogBytes = 64 * 1024;
/** Most bytes of serialized outcomes one chunk keeps in its log. */
export const maxLogBytes = 256 * 1024 * 1024;

const NUMBER = 1;
const UNDEFINED = 2;
const NULL = 3;
const TRUE = 4;
const FALSE = 5;
const BYTES = 6;
const ERROR = 7;
/** Too large for the log: the value is in the reply's `overflow`. */
const IN_REPLY = 8;
// strings and bigints skip the serializer, whose every call costs 2–8 µs: 10× a string's own copy
const STRING = 9;
const BIGINT = 10;
// A small plain object or array is JSON text (plain-json.ts), which JSON.parse reads in a tenth of
// what v8.deserialize takes. Its kind is its length in code units, negated and less one, and its
// text is followed by a comma instead of preceded by a length: the texts of consecutive items lie
// end to end, and the reader parses a run of them as one JSON array (half the cost of one by one).
const plainKind = (length: number) => -length - 1;
const plainLength = (kind: number) => -kind - 1;

/** A log that grows up to `maxBytes` (`maxLogBytes`; smaller in tests). */
export function createResultLog(maxBytes = maxLogBytes): SharedArrayBuffer {
  const Shared = SharedArrayBuffer as new (
    length: number,
    options: { maxByteLength: number },
  ) => SharedArrayBuffer;
  return new Shared(Math.min(initialLogBytes, maxBytes), { maxByteLength: maxBytes });
}

/** [worker] Writes one chunk's outcomes, by position. */
export class ResultWriter {
  private records: Float64Array;
  private heap: number;
  /** The log as a DataView and as a Buffer (to copy strings into), made again when it grows. */
  private view: DataView | undefined;
  private text: Buffer | undefined;

  constructor(
    private readonly log: SharedArrayBuffer,
    items: number,
  ) {
    this.heap = items * 2 * Float64Array.BYTES_PER_ELEMENT;
    this.fit(this.heap);
    this.records = new Floats(log, 0, items * 2);
  }

  /** Records a value; false when it did not fit (the caller then sends it in the reply). */
  value(position: number, value: unknown): boolean {
    const at = position * 2;
    if (typeof value === 'number') {
      this.records[at + 1] = value;
      this.records[at] = NUMBER;
    } else if (value === undefined) this.records[at] = UNDEFINED;
    else if (value === null) this.records[at] = NULL;
    else if (value === true) this.records[at] = TRUE;
    else if (value === false) this.records[at] = FALSE;
    else if (typeof value === 'string') return this.string(at, STRING, value);
    else if (typeof value === 'bigint') return this.string(at, BIGINT, digitsOf(value));
    else {
      const text = plainJson(value);
      if (text !== undefined) return this.plain(at, text);
      return this.bytes(at, BYTES, serialize(value));
    }
    return true;
  }

  /** Records that the outcome at `position` is in the reply (a moved value). */
  inReply(position: number): void {
    this.records[position * 2] = IN_REPLY;
  }

  /** Records an error; false when it did not fit (the caller then sends it in the reply). */
  error(position: number, record: ErrorRecord): boolean {
    return this.bytes(position * 2, ERROR, serialize(record));
  }

  private bytes(at: number, kind: number, bytes: Uint8Array): boolean {
    const offset = this.claim(at, bytes.byteLength);
    if (offset === undefined) return false;
    setBytes(new Bytes(this.log, offset + 4, bytes.byteLength), bytes);
    this.mark(at, kind, offset);
    return true;
  }

  /** A string's UTF-16 code units, lone surrogates and all. */
  private string(at: number, kind: number, text: string): boolean {
    const offset = this.claim(at, text.length * 2);
    if (offset === undefined) return false;
    this.text ??= bufferOver(this.log);
    writeText(this.text, text, offset + 4, text.length * 2, 'utf16le');
    this.mark(at, kind, offset);
    return true;
  }

  /** JSON text and a comma, end to end with the text of the item before when it was one too. */
  private plain(at: number, json: string): boolean {
    const offset = this.room(at, json.length * 2 + 2, false);
    if (offset === undefined) return false;
    this.text ??= bufferOver(this.log);
    writeText(this.text, json, offset, json.length * 2, 'utf16le');
    this.view ??= new View(this.log);
    setUint16(this.view, offset + json.length * 2, comma, true);
    this.mark(at, plainKind(json.length), offset);
    return true;
  }

  /** Room for `length` bytes after their u32 length, at the heap's end; none past the log's limit. */
  private claim(at: number, length: number): number | undefined {
    const offset = this.room(at, 4 + length, true);
    if (offset === undefined) return undefined;
    this.view ??= new View(this.log);
    setUint32(this.view, offset, length, true);
    return offset;
  }

  /** `bytes` at the heap's end, which moves past them; none past the log's limit (in the reply). */
  private room(at: number, bytes: number, align: boolean): number | undefined {
    const offset = this.heap;
    const end = offset + bytes;
    if (!this.fit(end)) {
      this.records[at] = IN_REPLY;
      return undefined;
    }
    this.heap = align ? (end + 7) & ~7 : end;
    return offset;
  }

  private mark(at: number, kind: number, offset: number): void {
    this.records[at + 1] = offset;
    this.records[at] = kind;
  }

  /** Grows the log to hold `bytes`; false past its limit. */
  private fit(bytes: number): boolean {
    if (bytes <= this.log.byteLength) return true;
    const limit = (this.log as unknown as { maxByteLength: number }).maxByteLength;
    if (bytes > limit) return false;
    call(grow!, this.log, Math.min(limit, Math.max(bytes, this.log.byteLength * 2)));
    this.view = undefined;
    this.text = undefined;
    return true;
  }
}

/** An outcome that did not fit the log, as the reply carries it: position, value or error, failed. */
export type Overflow = [position: number, outcome: unknown, failed: boolean];

/**
 * [main] The first `count` outcomes of a chunk's log, as a reply carries them: values by position,
 * and errors by position. `overflow` holds the outcomes that did not fit.
 */
export function readResultLog(
  log: SharedArrayBuffer,
  count: number,
  overflow: readonly Overflow[] = [],
): { values: unknown[]; errors: [number, ErrorRecord][] } {
  const records = new Float64Array(log, 0, count * 2);
  const values: unknown[] = new Array(count).fill(undefined);
  const errors: [number, ErrorRecord][] = [];
  const inReply = new Set<number>();
  const view = new DataView(log);
  const text = Buffer.from(log);
  for (let position = 0; position < count; position++) {
    const kind = records[position * 2];
    const data = records[position * 2 + 1]!;
    if (kind === NUMBER) values[position] = data;
    else if (kind === IN_REPLY) inReply.add(position);
    else if (kind === NULL) values[position] = null;
    else if (kind === TRUE) values[position] = true;
    else if (kind === FALSE) values[position] = false;
    else if (kind === BYTES) values[position] = readBytes(log, view, data);
    else if (kind === STRING) values[position] = readString(text, view, data);
    else if (kind === BIGINT) values[position] = BigInt(readString(text, view, data));
    else if (kind! < 0) position = readPlainRun(records, text, position, count, values);
    else if (kind === ERROR) errors.push([position, readBytes(log, view, data) as ErrorRecord]);
  }
  for (const [position, outcome, failed] of overflow) {
    if (!inReply.delete(position)) continue;
    if (failed) errors.push([position, outcome as ErrorRecord]);
    else values[position] = outcome;
  }
  // outcomes too large for the log, whose thread died before it could send them
  for (const position of inReply) errors.push([position, lostRecord(position)]);
  errors.sort((a, b) => a[0] - b[0]);
  return { values, errors };
}

function lostRecord(position: number): ErrorRecord {
  return toErrorRecord(
    new Error(
      `The item at position ${position} of its chunk finished, but its outcome (over ${maxLogBytes / 2 ** 20} MiB with the chunk's others) was lost when its thread died; it was not run again.`,
    ),
  );
}

/**
 * The plain results from `first` on whose texts lie end to end, parsed at once into `values`;
 * returns the position of the run's last.
 */
function readPlainRun(
  records: Float64Array,
  text: Buffer,
  first: number,
  count: number,
  values: unknown[],
): number {
  const start = records[first * 2 + 1]!;
  let end = start + plainLength(records[first * 2]!) * 2;
  let last = first;
  // the next item's text starts just past this one's comma
  while (
    last + 1 < count &&
    records[(last + 1) * 2]! < 0 &&
    records[(last + 1) * 2 + 1] === end + 2
  ) {
    last++;
    end += 2 + plainLength(records[last * 2]!) * 2;
  }
  if (last === first) {
    values[first] = JSON.parse(text.toString('utf16le', start, end));
    return first;
  }
  const run = JSON.parse(`[${text.toString('utf16le', start, end)}]`) as unknown[];
  for (let i = 0; i < run.length; i++) values[first + i] = run[i];
  return last;
}

/** The string at `offset`, from a Buffer over the whole log (one per read, not one per string). */
function readString(text: Buffer, view: DataView, offset: number): string {
  const length = view.getUint32(offset, true);
  return text.toString('utf16le', offset + 4, offset + 4 + length);
}

function readBytes(log: SharedArrayBuffer, view: DataView, offset: number): unknown {
  const length = view.getUint32(offset, true);
  // read from a copy: Node's deserializer makes a Buffer (any byte-aligned view) a view of the
  // bytes it reads, which here would be the log, that the slot's next chunk writes over
  return deserialize(new Uint8Array(log, offset + 4, length).slice());
}
