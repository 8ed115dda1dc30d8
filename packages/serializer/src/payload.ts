import { createHash } from 'node:crypto';
// zod/mini: the same validator, but a worker thread loads 15 kB of it instead of 600 kB
import * as z from 'zod/mini';
import { PayloadError } from './errors.js';
import { toolchainHelpers } from './helpers.js';

/** The wire format's version: a worker refuses payloads of any other. */
export const PAYLOAD_VERSION = 1;

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
  /** Its captured free variables, bound in this order from `values.json.envs[i]`. */
  names: z.array(identifier),
  /** Compiler helpers (`__awaiter`, `__name`) the worker supplies. */
  helpers: z.array(z.enum(Object.keys(toolchainHelpers) as [string, ...string[]])),
});
export type FunctionNode = z.infer<typeof functionNodeSchema>;

/** The payload: a graph of functions with ids, so a shared helper or a recursive function is sent once. */
export const payloadSchema = z.strictObject({
  format: z.literal('closure-pool'),
  version: z.literal(PAYLOAD_VERSION),
  /** sha256 of everything else: a worker compiles each distinct payload once. */
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest')),
  /** HMAC-SHA256 of `hash` under a shared secret, for payloads that leave the process (signPayload). */
  signature: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be an HMAC-SHA256 hex digest')),
  ),
  root: refSchema,
  functions: z.array(functionNodeSchema),
  modules: z.array(
    z.strictObject({ url: z.string().check(z.minLength(1)), exportName: z.optional(z.string()) }),
  ),
  classes: z.array(z.strictObject({ identifier: z.string().check(z.minLength(1)), fn: index })),
  /** superjson's output for `{ envs, members }`, each with one entry per function. */
  values: z.strictObject({
    json: z.strictObject({
      envs: z.array(z.record(z.string(), z.unknown())),
      members: z.array(z.record(z.string(), z.unknown())),
    }),
    meta: z.optional(z.unknown()),
  }),
});
export type Payload = z.infer<typeof payloadSchema>;

/** A function's own properties (`fn.cache = …`) and, for pre-class code, its prototype's methods. */
export interface Members {
  statics?: Record<string, unknown>;
  proto?: Record<string, unknown>;
}
export type PayloadBody = Omit<Payload, 'hash' | 'signature'>;

/** The content hash of a payload body. */
export function hashPayload(body: PayloadBody): string {
  return hashJson(JSON.stringify(body));
}

/** The content hash of a payload body already in JSON. */
export function hashJson(bodyJson: string): string {
  return createHash('sha256').update(bodyJson).digest('hex');
}

/** Validates an untrusted payload: shape, references and hash. Throws PayloadError naming the field. */
export function parsePayload(input: unknown): Payload {
  const result = z.safeParse(payloadSchema, input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    throw new PayloadError(
      `Invalid closure payload: ${field}: ${issue.message}. Nothing from it was run.`,
      {
        field,
        cause: result.error,
      },
    );
  }
  const payload = result.data;
  const fnCount = payload.functions.length;
  const checkRef = (ref: Ref, field: string) => {
    if ('fn' in ref && ref.fn >= fnCount) throw refError(field, `function ${ref.fn}`, fnCount);
    if ('module' in ref && ref.module >= payload.modules.length)
      throw refError(field, `module ${ref.module}`, payload.modules.length);
  };
  checkRef(payload.root, 'root');
  for (const [i, c] of payload.classes.entries()) checkRef({ fn: c.fn }, `classes.${i}.fn`);
  for (const part of ['envs', 'members'] as const) {
    const count = payload.values.json[part].length;
    if (count !== fnCount) {
      throw new PayloadError(
        `Invalid closure payload: values.json.${part} has ${count} entries for ${fnCount} functions.`,
        {
          field: `values.json.${part}`,
        },
      );
    }
  }
  // hashed as it came (zod's output may order keys differently)
  const { hash, signature: _, ...body } = input as Payload;
  if (hashPayload(body) !== hash) {
    throw new PayloadError(
      'Invalid closure payload: hash does not match its content (corrupted or altered in transit).',
      { field: 'hash' },
    );
  }
  return payload;
}

function refError(field: string, what: string, count: number): PayloadError {
  return new PayloadError(
    `Invalid closure payload: ${field} points to ${what}, but there are only ${count}.`,
    { field },
  );
}
