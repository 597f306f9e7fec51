/**
 * Whether an endpoint's `events` list selects an event type: `*` selects every type, `<group>.*` every type of
 * that group (`call.*`: every `call.X`), anything else only the type spelt exactly so.
 */
export function matchesEventFilter(filters: readonly string[], type: string): boolean {
  return filters.some((filter) => {
    if (filter === '*') return true;
    if (filter.endsWith('.*')) return type.startsWith(filter.slice(0, -1)) && type.length > filter.length - 1;
    return filter === type;
  });
}
