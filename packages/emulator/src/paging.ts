/** Marker pagination: the marker is the offset of the next page, opaque to clients. */
import { InvalidRequestError } from './errors.ts';

export function parseMarker(marker: unknown): number {
  if (marker === undefined || marker === '') return 0;
  if (typeof marker !== 'string' || !/^\d{1,15}$/.test(marker)) {
    const shown = typeof marker === 'string' ? marker.slice(0, 64) : typeof marker;
    throw new InvalidRequestError(
      `Value '${shown}' at 'marker' failed to satisfy constraint: not a marker returned by this service`,
    );
  }
  return Number(marker);
}

export function page<T>(
  items: readonly T[],
  offset: number,
  size: number,
): { items: T[]; marker?: string; hasMoreResults: boolean } {
  const slice = items.slice(offset, offset + size);
  const more = offset + size < items.length;
  return more
    ? { items: slice, marker: String(offset + size), hasMoreResults: true }
    : { items: slice, hasMoreResults: false };
}
