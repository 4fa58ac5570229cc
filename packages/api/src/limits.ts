/** tRPC calls per batch request: the server refuses larger batches, the pages' batch links split at this size. */
export const MAX_TRPC_BATCH_SIZE = 16;
