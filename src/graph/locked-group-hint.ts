/**
 * What to do about a group that cannot be pruned, for error messages: leave it out (naming the
 * groups that can be pruned), and, when the lock comes from a layer tfjs-prune does not know, how
 * to teach it that layer. `reason` is the group's `reason` from `analyze(model)`.
 *
 * @example
 * ```ts
 * lockedGroupHint("it reaches the model output 'out'; model outputs are never pruned", ['h1', 'h2']);
 * // "Leave it out of the plan: prunable groups of this model: h1, h2 (analyze(model) lists every group, with why it is locked)."
 * ```
 */
export function lockedGroupHint(reason: string | undefined, prunable: readonly string[]): string {
  const list = prunable.length > 0 ? `prunable groups of this model: ${prunable.join(', ')}` : 'this model has no prunable group';
  let hint = `Leave it out of the plan: ${list} (analyze(model) lists every group, with why it is locked).`;
  if (reason !== undefined && /not supported by tfjs-prune|is a barrier/.test(reason)) {
    hint +=
      ' To prune through a custom layer, have it declare how it carries channels (the PrunableLayer interface: channelRule(), see docs/guides/custom-layers.md);' +
      ' a built-in TF.js layer that is not supported stays locked.';
  } else if (reason !== undefined && /model output/.test(reason)) {
    hint += " A model output's size is part of the model's contract, so its channels are never removed.";
  }
  return hint;
}
