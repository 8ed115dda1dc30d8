// The small part of eslint-scope's API that analyze.ts uses (the package ships no types).
declare module 'eslint-scope' {
  interface Reference {
    identifier: { name: string; start: number; end: number };
    resolved: unknown;
    /** An assignment to the name (`=`, `+=`, `++`, a destructuring target). */
    isWrite(): boolean;
  }
  interface Scope {
    through: Reference[];
  }
  interface ScopeManager {
    globalScope: Scope;
  }
  export function analyze(
    ast: unknown,
    options: { ecmaVersion: number; sourceType: 'script' | 'module'; impliedStrict?: boolean },
  ): ScopeManager;
}
