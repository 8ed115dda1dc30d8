// A placeholder for a module the worker imports; kept apart so the worker side need not load the resolver.

/** Stands for a module (or one of its exports) that the worker imports instead of copying. */
export class ModuleRef {
  /** What the caller wrote, e.g. `node:fs/promises` or `lodash`. */
  readonly specifier: string;
  /** What the worker imports: a builtin specifier or an absolute file URL. */
  readonly url: string;
  /** The export to take; the whole namespace when undefined. */
  readonly exportName: string | undefined;
  constructor(specifier: string, url: string, exportName: string | undefined) {
    this.specifier = specifier;
    this.url = url;
    this.exportName = exportName;
    Object.freeze(this);
  }
}
