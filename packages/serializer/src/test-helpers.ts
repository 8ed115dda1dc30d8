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

/** The CaptureError `f` throws (and fails the test if it throws none, or something else). */
export function captureError(f: () => unknown): CaptureError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(CaptureError);
    return error as CaptureError;
  }
  throw new Error('expected a CaptureError');
}

/** The message of the CaptureError `f` throws. */
export function refusalMessage(f: () => unknown): string {
  return captureError(f).message;
}

/** What arrives in a worker for one value, captured alone as `v`. */
export async function travel<T>(value: T): Promise<T> {
  const v = value;
  return (await roundTrip(() => v, { v }))();
}

let loads = 0;
/**
 * `specifier` (relative to this file) loaded anew, apart from the copy other imports share: what it
 * builds when it loads (tables, schemas, patterns) is built inside the test that asks. A mutation
 * run turns its mutant on once the test file is loaded, so a table a test file's own imports build
 * never has the mutant in it.
 */
export async function freshImport<M>(specifier: string): Promise<M> {
  return import(/* @vite-ignore */ `${specifier}?fresh=${++loads}`);
}
