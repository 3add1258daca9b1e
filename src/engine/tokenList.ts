// Appending one list to another without spreading it into arguments: `push(...items)` puts
// every element on the call stack and overflows it at a few hundred thousand tokens.

export function append<T>(target: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) target.push(items[i]);
}
