// A Map bounded by entry count and by bytes, dropping the least recently used: every cache of
// closure-pool (analyses, compiled factories, payloads, a worker's closures) is one of these, so
// that what it holds alive has a known ceiling however many distinct closures or captures pass.
/** The byte budget of the caches of captured values on each side of a thread boundary: 32 MiB. */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private total = 0;

  /**
   * @param limit most entries kept
   * @param maxBytes most bytes kept, as counted by the `bytes` given to `set`; an entry larger than
   *   this is not kept at all
   */
  constructor(
    private readonly limit: number,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The bytes held, as counted by `set`. */
  get bytes(): number {
    return this.total;
  }

  /** The value, marked as just used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, bytes = 0): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.limit || this.total + bytes > this.maxBytes)
    )
      this.delete(this.entries.keys().next().value as K);
    this.entries.set(key, { value, bytes });
    this.total += bytes;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }
}
