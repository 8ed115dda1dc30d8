// A Map bounded by entry count and by bytes, dropping the least recently used: every cache of
// closure-pool (analyses, compiled factories, payloads, a worker's closures) is one of these, so
// that what it holds alive has a known ceiling however many distinct closures or captures pass.
/** The byte budget of the caches of captured values on each side of a thread boundary: 32 MiB. */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Least recently used out, approximately, as a CLOCK (second chance) does it: a lookup only marks
 * its entry used (one hash lookup; moving it to the end of the Map took two more, a cost that
 * counted on the hot path of every call), and eviction moves a used entry to the end once instead
 * of dropping it.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number; used: boolean }>();
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

  /** The value, marked as used since it was last considered for eviction. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  set(key: K, value: V, bytes = 0): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.limit || this.total + bytes > this.maxBytes)
    )
      this.evictOne();
    this.entries.set(key, { value, bytes, used: false });
    this.total += bytes;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  /** Drops the oldest entry not used since it was last considered; used ones go to the end once. */
  private evictOne(): void {
    for (const [key, entry] of this.entries) {
      if (entry.used) {
        entry.used = false;
        this.entries.delete(key);
        this.entries.set(key, entry);
        continue;
      }
      this.delete(key);
      return;
    }
  }
}
