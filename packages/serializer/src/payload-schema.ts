// The payload's schema (zod): what an untrusted payload is checked against, field by field, before
// anything from it runs. Loaded only where untrusted input arrives (see payload.ts).
// zod/mini: the same validator, but a worker thread loads 15 kB of it instead of 600 kB
import * as z from 'zod/mini';
import { PayloadError } from './errors.js';
import { isToolchainHelper } from './helpers.js';
import {
  hashFrame,
  PAYLOAD_VERSION,
  type ParsedPayload,
  payloadToFrame,
  splitFrame,
  withBuffers,
} from './payload.js';

const index = z.int().check(z.nonnegative());
const identifier = z
  .string()
  .check(z.regex(/^[\p{L}_$][\p{L}\p{N}_$]*$/u, 'must be a JavaScript identifier'));

/** Where a function comes from: a function node of this payload, a global path, or a module. */
export const refSchema = z.union([
  z.strictObject({ fn: index }),
  z.strictObject({
    native: z.string().check(
      z.regex(
        /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\.prototype\.[A-Za-z_$][\w$]*)?$/,
        'must be a global path like Math.sqrt or Array.prototype.join',
      ),
      // what compiles code from strings is never a payload's to name
      z.refine((path) => !/(^|\.)(eval|Function)(\.|$)/.test(path), 'must not be eval or Function'),
    ),
  }),
  z.strictObject({ module: index }),
]);
export type Ref = z.infer<typeof refSchema>;

export const functionNodeSchema = z
  .strictObject({
    /** The function as one expression. */
    source: z.string().check(z.minLength(1)),
    /** Its name where it had one, so stack frames in the worker show it. */
    name: z.optional(z.string().check(z.maxLength(200))),
    /** Its captured free variables, bound in this order from the values' `envs[i]`. */
    names: z.array(identifier),
    /** Compiler helpers (`__awaiter`, `__name`) the worker supplies. */
    helpers: z.array(
      identifier.check(z.refine(isToolchainHelper, 'must be a compiler helper the worker knows')),
    ),
    /**
     * A class whose definition reads its captures (`extends`, computed keys, static parts): defined
     * once they are bound. The sender's analysis, used as it is only for a trusted payload (an
     * untrusted one is parsed and judged again).
     */
    deferred: z.optional(z.literal(true)),
    /**
     * The one of `names` that is the function itself (`const fib = (n) => … fib(n - 1) …`), which it
     * never assigns: bound as a constant, so that the engine can optimize the call as it does at home.
     */
    self: z.optional(identifier),
  })
  .check(
    z.refine((node) => node.self === undefined || node.names.includes(node.self), {
      error: 'must be one of names',
      path: ['self'],
    }),
  );
export type FunctionNode = z.infer<typeof functionNodeSchema>;

const moduleSchema = z.strictObject({
  /** What `moduleRef` produces: a Node builtin or a file URL (never data:, http: or a bare name). */
  url: z
    .string()
    .check(
      z.regex(/^(node:[a-z_][\w/.-]*|file:\/\/\S+)$/, 'must be a node: builtin or a file: URL'),
    ),
  exportName: z.optional(z.string()),
});

/** A payload's description of its functions: small, JSON, checked field by field. */
const bodyShape = {
  format: z.literal('closure-pool'),
  version: z.literal(PAYLOAD_VERSION),
  root: refSchema,
  functions: z.array(functionNodeSchema),
  modules: z.array(moduleSchema),
  classes: z.array(z.strictObject({ identifier: z.string().check(z.minLength(1)), fn: index })),
  /** What each `Place.REF` placeholder in the values stands for. */
  refs: z.array(refSchema),
  /**
   * Byte lengths of the large ArrayBuffers carried beside the values (out of band: copied once into
   * the frame and out of it, never through the serializer), in the order the values name them.
   */
  buffers: z.array(index),
};
export const bodySchema = z.strictObject(bodyShape);
export type PayloadBody = z.infer<typeof bodySchema>;

const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest'));

/**
 * The payload as JSON, for processes that pass text: the body's fields, `values` (the frame's data:
 * the large buffers, then the serialized values; base64), `hash` (sha256 of the payload's frame) and an optional `signature`
 * (HMAC-SHA256 of the hash under a shared secret). Threads get the frame itself.
 */
export const payloadSchema = z.strictObject({
  ...bodyShape,
  hash: sha256Hex,
  signature: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be an HMAC-SHA256 hex digest')),
  ),
  values: z.string(),
});
export type Payload = z.infer<typeof payloadSchema>;

/**
 * Validates an untrusted payload — in JSON form (checked against its `hash`), or as a frame
 * (checked against `options.hash` when given) — and checks its shape and references. Throws
 * PayloadError naming the field; nothing from the payload runs.
 */
export function parsePayload(input: unknown, options: { hash?: string } = {}): ParsedPayload {
  let frame: Uint8Array;
  let expected = options.hash;
  if (input instanceof Uint8Array) {
    frame = input;
  } else {
    const json = z.safeParse(payloadSchema, input, messages);
    if (!json.success) throw invalidField(json.error, input);
    expected = json.data.hash;
    // the frame is rebuilt from the fields as they came (zod's output may order keys differently)
    frame = payloadToFrame(input as Payload);
  }
  if (expected !== undefined && hashFrame(frame) !== expected) {
    throw new PayloadError(
      'Invalid closure payload: hash does not match its content (corrupted or altered in transit). Nothing from it was run.',
      { field: 'hash' },
    );
  }
  const { body: bodyInput, data } = splitFrame(frame);
  const result = z.safeParse(bodySchema, bodyInput, messages);
  if (!result.success) throw invalidField(result.error, bodyInput);
  const body = result.data;
  const fnCount = body.functions.length;
  const checkRef = (ref: Ref, field: string) => {
    if ('fn' in ref && ref.fn >= fnCount) throw refError(field, `function ${ref.fn}`, fnCount);
    if ('module' in ref && ref.module >= body.modules.length)
      throw refError(field, `module ${ref.module}`, body.modules.length);
  };
  checkRef(body.root, 'root');
  for (const [i, c] of body.classes.entries()) checkRef({ fn: c.fn }, `classes.${i}.fn`);
  for (const [i, ref] of body.refs.entries()) checkRef(ref, `refs.${i}`);
  return withBuffers(body, data);
}

/**
 * What was expected and what came, for this parse only: zod/mini says only "Invalid input", and its
 * English locale comes with every other locale in a bundle (zod's global configuration is the
 * application's, not ours to set).
 */
const messages = {
  error(issue: z.core.$ZodRawIssue): string | undefined {
    switch (issue.code) {
      case 'invalid_type':
        return `expected ${issue.expected}, received ${kindOf(issue.input)}`;
      case 'invalid_value':
        return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
      case 'too_small':
        return `expected ${issue.origin === 'string' ? 'a length ' : ''}>= ${issue.minimum}`;
      case 'too_big':
        return `expected ${issue.origin === 'string' ? 'a length ' : ''}<= ${issue.maximum}`;
      case 'unrecognized_keys':
        return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      default:
        return undefined;
    }
  },
};

function kindOf(input: unknown): string {
  return input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
}

const sameVersion = 'run the same closure-pool version where payloads are made and where they run';

function invalidField(error: z.core.$ZodError, input: unknown): PayloadError {
  const { issue, path } = meant(error.issues[0]!, []);
  let field = path.join('.') || '(root)';
  let message = issue.message;
  if (issue.code === 'invalid_union')
    message = 'must be one of { fn: index }, { native: path } or { module: index }';
  if (issue.code === 'unrecognized_keys') {
    field = [...path, issue.keys[0]].join('.');
    message += `. A newer closure-pool writes fields this one does not know: ${sameVersion}`;
  }
  if (field === 'version') {
    const given = String(JSON.stringify((input as { version?: unknown } | null)?.version));
    message = `the payload is version ${given.slice(0, 40)}, this closure-pool reads version ${PAYLOAD_VERSION}: ${sameVersion}`;
  }
  // the names in it are the payload's, and a payload may be hostile: short enough for a log line
  const short = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
  return new PayloadError(
    `Invalid closure payload: ${short(field)}: ${short(message)}. Nothing from it was run.`,
    { field, cause: error },
  );
}

/**
 * The issue that says what is wrong, and where: inside a union (a function reference), the branch
 * whose keys the input has, since the others only complain that its keys are not theirs.
 */
function meant(
  issue: z.core.$ZodIssue,
  at: PropertyKey[],
): { issue: z.core.$ZodIssue; path: PropertyKey[] } {
  const path = [...at, ...issue.path];
  if (issue.code !== 'invalid_union') return { issue, path };
  const branch = issue.errors.find(
    (issues) => issues.length > 0 && issues.every((i) => i.code !== 'unrecognized_keys'),
  );
  return branch ? meant(branch[0]!, path) : { issue, path };
}

function refError(field: string, what: string, count: number): PayloadError {
  return new PayloadError(
    `Invalid closure payload: ${field} points to ${what}, but there are only ${count}.`,
    { field },
  );
}
