/**
 * Removes the first `item` from `list`; false when it is not there. Per-task bookkeeping lives in arrays
 * rather than a Set or Map: one insert and one delete per task make V8 rehash the table every few tasks,
 * and a dropped table keeps its entries, so once one has been promoted it carries every later task's
 * objects through scavenges into the old space, until a full GC.
 */
export function removeItem<T>(list: T[], item: T): boolean {
  const index = list.indexOf(item);
  if (index < 0) return false;
  list.splice(index, 1);
  return true;
}
