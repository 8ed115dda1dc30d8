// Imported by the corpus: compilers to CommonJS turn `triple(x)` into `helper_1.triple(x)`.
export function triple(x: number): number {
  return x * 3;
}
