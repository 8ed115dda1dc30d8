import type { Capture } from './capture.js';
import { deserializeClosure } from './decode.js';
import { serializeClosure } from './encode.js';

/** Serializes, sends through JSON as a wire would, and rebuilds: what a worker gets. */
export async function roundTrip<F extends Function>(
  fn: F,
  env?: Capture | Record<string, unknown>,
): Promise<F> {
  const wire = JSON.parse(JSON.stringify(serializeClosure(fn, env)));
  return (await deserializeClosure(wire)) as F;
}
