import { tracked } from "@trpc/server";
import { z } from "zod";
import { DOMAIN_EVENT_TYPES } from "../../services/events-service.ts";
import { apiClientProcedure, router } from "../init.ts";

const CursorSchema = z.string().regex(/^\d{1,18}$/, "a cursor returned earlier");

export const EventsSubscribeSchema = z
  .strictObject({
    /** Resume after this event id. tRPC's SSE link fills it in on reconnect. Omitted: from now on. */
    lastEventId: CursorSchema.nullish(),
    types: z.array(z.enum(DOMAIN_EVENT_TYPES)).min(1).optional(),
  })
  .optional();

export const EventsListSchema = z.strictObject({
  /** "0" for everything kept; then the `cursor` of the previous page. */
  afterId: CursorSchema,
  types: z.array(z.enum(DOMAIN_EVENT_TYPES)).min(1).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

export const DomainEventSchema = z.object({
  id: z.string(),
  type: z.enum(DOMAIN_EVENT_TYPES),
  attractionId: z.string(),
  subject: z.object({ type: z.string(), id: z.string() }),
  data: z.record(z.string(), z.unknown()),
  occurredAt: z.date(),
});

export const EventsPageSchema = z.object({
  events: z.array(DomainEventSchema),
  /** Pass as `afterId` for the next page. */
  cursor: z.string(),
  /** False when more events are waiting: fetch again at once. */
  isCaughtUp: z.boolean(),
});

export const eventsRouter = router({
  /**
   * Sales and redemptions of the API client's attraction, as they happen
   * (`sale.completed`, `sale.refunded`, `ticket.redeemed`, `ticket.voided`). Each
   * event is `tracked(id, event)`, so a reconnecting client resumes where it left off.
   */
  subscribe: apiClientProcedure("events:read")
    .input(EventsSubscribeSchema)
    .subscription(async function* ({ ctx, input, signal }) {
      const stream = ctx.services.events.stream({
        attractionId: ctx.apiClient.attractionId,
        types: input?.types,
        afterId: input?.lastEventId ?? null,
        signal,
      });
      for await (const event of stream) yield tracked(event.id, event);
    }),

  /** The same events by polling: a page after `afterId`, oldest first, with the next cursor. */
  list: apiClientProcedure("events:read")
    .meta({
      openapi: {
        method: "GET",
        path: "/events",
        tags: ["events"],
        protect: true,
        summary: "Sales and redemption events after a cursor",
      },
    })
    .input(EventsListSchema)
    .output(EventsPageSchema)
    .query(({ ctx, input }) =>
      ctx.services.events.readAfter({
        afterId: input.afterId,
        attractionId: ctx.apiClient.attractionId,
        types: input.types,
        limit: input.limit ?? 100,
      }),
    ),
});
