// Scores shared by the evaluations.

/** 1 - Levenshtein distance / length of the longer string (1 for two empty strings). */
export function editSimilarity(a: string, b: string): number {
  if (a.length === 0 && b.length === 0) return 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return 1 - previous[b.length] / Math.max(a.length, b.length);
}

/** The failure modes seen in completions: nothing shown, a loop, comments of the wrong language. */
export function failureModes(text: string, language: string): string[] {
  const modes: string[] = [];
  if (text.trim().length === 0) modes.push('empty');
  // a loop: the same piece of 3+ characters three times in a row (`_impl, _impl, _impl`)
  if (/(.{3,}?)\1\1/.test(text.replace(/\s+/g, ' '))) modes.push('repetition');
  if (language === 'python' && /^\s*\/\//m.test(text)) modes.push('slash-comment-in-python');
  return modes;
}
