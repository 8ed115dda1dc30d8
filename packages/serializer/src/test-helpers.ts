import { expect } from 'vitest';
import type { Capture } from './capture.js';
import { deserializeClosure } from './decode.js';
import { serializeClosure } from './encode.js';
import { CaptureError } from './errors.js';
import { hashFrame, type Payload, payloadToFrame } from './payload.js';

/** Serializes, sends through JSON as a wire would, and rebuilds: what a worker gets. */
export async function roundTrip<F extends Function>(
  fn: F,
  env?: Capture | Record<string, unknown>,
): Promise<F> {
  const wire = JSON.parse(JSON.stringify(serializeClosure(fn, env)));
  return (await deserializeClosure(wire)) as F;
}

/** Re-hashes a payload after an edit, as a buggy or hostile sender with the format in hand could. */
export function rehash<P extends Payload>(payload: P): P {
  return { ...payload, hash: hashFrame(payloadToFrame(payload)) };
}

/** The message of the CaptureError `f` throws (and fails the test if it throws none). */
export function refusalMessage(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(CaptureError);
    return (error as Error).message;
  }
  throw new Error('expected a CaptureError');
}
