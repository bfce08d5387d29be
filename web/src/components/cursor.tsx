/**
 * Cursor paging as the API does it (`limit`, `cursor`, answer `next_cursor`): pages are fetched one
 * after the other and shown together, with a "Load more" button while the API has a next cursor.
 */
import { Button, Center, Text } from '@mantine/core';
import { type QueryKey, useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';

export const PAGE_SIZE = 25;

export function useCursorList<T>(key: QueryKey, path: string, listKey: string, query: Record<string, string | number | undefined> = {}, options: { refetchInterval?: number; enabled?: boolean } = {}) {
  const result = useInfiniteQuery({
    queryKey: [...key, query],
    queryFn: ({ pageParam, signal }) =>
      api<Record<string, unknown> & { next_cursor: string | null }>(path, { query: { ...query, limit: PAGE_SIZE, cursor: pageParam ?? undefined }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? null,
    ...(options.refetchInterval ? { refetchInterval: options.refetchInterval } : {}),
    enabled: options.enabled ?? true,
  });
  const items = (result.data?.pages ?? []).flatMap((page) => (page[listKey] as T[] | undefined) ?? []);
  return { ...result, items };
}

/** `noun` is the plural ("pull requests"); `one` the singular, for a list of exactly one. */
export function LoadMore({
  hasNextPage,
  isFetchingNextPage,
  fetchNextPage,
  count,
  noun,
  one,
}: {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
  count: number;
  noun: string;
  one: string;
}) {
  return (
    <Center py="sm">
      {hasNextPage ? (
        <Button variant="default" onClick={() => fetchNextPage()} loading={isFetchingNextPage}>
          Load more {noun}
        </Button>
      ) : (
        <Text size="xs" c="dimmed">
          {count} {count === 1 ? one : noun} · end of list
        </Text>
      )}
    </Center>
  );
}
