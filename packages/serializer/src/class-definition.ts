// [both] What a class's definition evaluates, read from its syntax tree (acorn's ESTree). The caller's
// analysis records it in the payload; a thread given an untrusted payload parses and judges again.

/** A class whose definition evaluates expressions (its heritage, computed keys, static parts). */
export function definitionReadsScope(node: any): boolean {
  return (
    node.type === 'ClassExpression' &&
    (node.superClass !== null ||
      node.body.body.some(
        (member: any) =>
          member.computed ||
          member.type === 'StaticBlock' ||
          (member.type === 'PropertyDefinition' && member.static && member.value),
      ))
  );
}
