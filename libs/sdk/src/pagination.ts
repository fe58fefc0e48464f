/** A page of a keyset-paginated list: its items and the cursor of the next page (null on the last). */
export interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Every page of a list, first to last, each fetched when the loop asks for it: breaking
 * out of a `for await` fetches no more.
 */
export async function* eachPage<P extends Paged<unknown>>(fetchPage: (cursor: string | undefined) => Promise<P>, cursor?: string): AsyncGenerator<P, void, undefined> {
  let next: string | null | undefined = cursor;
  do {
    const page = await fetchPage(next ?? undefined);
    yield page;
    next = page.nextCursor;
  } while (next !== null);
}

/** Every item of a list across its pages, one page fetched at a time. */
export async function* eachItem<T>(fetchPage: (cursor: string | undefined) => Promise<Paged<T>>, cursor?: string): AsyncGenerator<T, void, undefined> {
  for await (const page of eachPage(fetchPage, cursor)) yield* page.items;
}
