import { createHash } from 'node:crypto';
// zod/mini: the same validator, but a worker thread loads 15 kB of it instead of 600 kB
import * as z from 'zod/mini';
import { PayloadError } from './errors.js';
import { toolchainHelpers } from './helpers.js';

/** The wire format's version: a worker refuses payloads of any other. */
export const PAYLOAD_VERSION = 2;

const index = z.int().check(z.nonnegative());
const identifier = z
  .string()
  .check(z.regex(/^[\p{L}_$][\p{L}\p{N}_$]*$/u, 'must be a JavaScript identifier'));

/** Where a function comes from: a function node of this payload, a global path, or a module. */
export const refSchema = z.union([
  z.strictObject({ fn: index }),
  z.strictObject({
    native: z
      .string()
      .check(
        z.regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)?$/, 'must be a global path like Math.sqrt'),
      ),
  }),
  z.strictObject({ module: index }),
]);
export type Ref = z.infer<typeof refSchema>;

export const functionNodeSchema = z.strictObject({
  /** The function as one expression. */
  source: z.string().check(z.minLength(1)),
  /** Its name where it had one, so stack frames in the worker show it. */
  name: z.optional(z.string().check(z.regex(/^[\w$]{1,100}$/, 'must be a plain function name'))),
  /** Its captured free variables, bound in this order from the values' `envs[i]`. */
  names: z.array(identifier),
  /** Compiler helpers (`__awaiter`, `__name`) the worker supplies. */
  helpers: z.array(z.enum(Object.keys(toolchainHelpers) as [string, ...string[]])),
});
export type FunctionNode = z.infer<typeof functionNodeSchema>;

const moduleSchema = z.strictObject({
  url: z.string().check(z.minLength(1)),
  exportName: z.optional(z.string()),
});

/** Everything about a payload but its values: small, JSON, checked field by field. */
const headerShape = {
  format: z.literal('closure-pool'),
  version: z.literal(PAYLOAD_VERSION),
  /** sha256 of the header's other fields and the values' bytes: a worker rebuilds each distinct payload once. */
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest')),
  /** HMAC-SHA256 of `hash` under a shared secret, for payloads that leave the process (signPayload). */
  signature: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be an HMAC-SHA256 hex digest')),
  ),
  root: refSchema,
  functions: z.array(functionNodeSchema),
  modules: z.array(moduleSchema),
  classes: z.array(z.strictObject({ identifier: z.string().check(z.minLength(1)), fn: index })),
  /** What each `Place.REF` placeholder in the values stands for. */
  refs: z.array(refSchema),
};
export const headerSchema = z.strictObject(headerShape);
export type PayloadHeader = z.infer<typeof headerSchema>;

/**
 * The payload as JSON: the header, and `values` — `v8.serialize` of every function's environment,
 * base64 — for processes that pass text (a job queue). Threads get the same as a binary frame.
 */
export const payloadSchema = z.strictObject({ ...headerShape, values: z.string() });
export type Payload = z.infer<typeof payloadSchema>;

export type PayloadBody = Omit<PayloadHeader, 'hash' | 'signature'>;

/** A payload checked and split: its header, and the bytes of its values. */
export interface ParsedPayload {
  readonly header: PayloadHeader;
  readonly values: Uint8Array;
}

/** The content hash of a payload: its body's JSON, then its values' bytes. */
export function hashPayload(body: PayloadBody, values: Uint8Array): string {
  return hashJson(JSON.stringify(body), values);
}

/** The content hash of a payload body already in JSON. */
export function hashJson(bodyJson: string, values: Uint8Array): string {
  return createHash('sha256').update(bodyJson).update('\0').update(values).digest('hex');
}

/**
 * A payload as one binary frame, in shared memory so that posting it to threads copies nothing:
 * the header's JSON length (uint32), the header's JSON (UTF-8), then the values' bytes.
 */
export function toFrame(headerJson: string, values: Uint8Array): Uint8Array {
  const headerBytes = Buffer.byteLength(headerJson);
  const frame = Buffer.from(new SharedArrayBuffer(4 + headerBytes + values.byteLength));
  frame.writeUInt32LE(headerBytes, 0);
  frame.write(headerJson, 4);
  frame.set(values, 4 + headerBytes);
  return frame;
}

/** The JSON form of a frame: the header's fields and the values in base64. */
export function frameToPayload(frame: Uint8Array): Payload {
  const { header, values } = splitFrame(frame);
  return { ...(header as PayloadHeader), values: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64') };
}

function splitFrame(frame: Uint8Array): { header: unknown; values: Uint8Array } {
  const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const length = bytes.byteLength >= 4 ? bytes.readUInt32LE(0) : -1;
  if (length < 0 || 4 + length > bytes.byteLength)
    throw new PayloadError('Invalid closure payload: the frame is truncated. Nothing from it was run.', { field: '(frame)' });
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', 4, 4 + length));
  } catch (error) {
    throw new PayloadError('Invalid closure payload: the frame\'s header is not JSON. Nothing from it was run.', { field: '(frame)', cause: error });
  }
  return { header, values: bytes.subarray(4 + length) };
}

/**
 * Validates an untrusted payload, as JSON (`Payload`) or as a binary frame: shape, references and
 * hash. Throws PayloadError naming the field. `verifyHash: false` skips hashing the values, for a
 * frame that comes from this process (a thread of its own pool).
 */
export function parsePayload(input: unknown, options: { verifyHash?: boolean } = {}): ParsedPayload {
  let headerInput: unknown;
  let values: Uint8Array;
  if (input instanceof Uint8Array) {
    ({ header: headerInput, values } = splitFrame(input));
  } else {
    const json = z.safeParse(z.looseObject({ values: z.string() }), input);
    if (!json.success) throw invalidField(json.error);
    const { values: base64, ...rest } = input as Payload;
    headerInput = rest;
    values = Buffer.from(base64, 'base64');
  }
  const result = z.safeParse(headerSchema, headerInput);
  if (!result.success) throw invalidField(result.error);
  const header = result.data;
  const fnCount = header.functions.length;
  const checkRef = (ref: Ref, field: string) => {
    if ('fn' in ref && ref.fn >= fnCount) throw refError(field, `function ${ref.fn}`, fnCount);
    if ('module' in ref && ref.module >= header.modules.length)
      throw refError(field, `module ${ref.module}`, header.modules.length);
  };
  checkRef(header.root, 'root');
  for (const [i, c] of header.classes.entries()) checkRef({ fn: c.fn }, `classes.${i}.fn`);
  for (const [i, ref] of header.refs.entries()) checkRef(ref, `refs.${i}`);
  if (options.verifyHash !== false) {
    // hashed as it came (zod's output may order keys differently)
    const { hash, signature: _, ...body } = headerInput as PayloadHeader;
    if (hashPayload(body, values) !== hash) {
      throw new PayloadError(
        'Invalid closure payload: hash does not match its content (corrupted or altered in transit). Nothing from it was run.',
        { field: 'hash' },
      );
    }
  }
  return { header, values };
}

function invalidField(error: z.core.$ZodError): PayloadError {
  const issue = error.issues[0]!;
  const field = issue.path.join('.') || '(root)';
  return new PayloadError(`Invalid closure payload: ${field}: ${issue.message}. Nothing from it was run.`, {
    field,
    cause: error,
  });
}

function refError(field: string, what: string, count: number): PayloadError {
  return new PayloadError(
    `Invalid closure payload: ${field} points to ${what}, but there are only ${count}.`,
    { field },
  );
}
