import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import type { OpenApiRouter } from "trpc-to-openapi";
import { partnerOpenApiParts } from "./partner/openapi.ts";
import { getRestRouter } from "./trpc/rest-router.ts";

export const REST_ENDPOINT = "/api/rest";
export const OPENAPI_VERSION = "1.0.0";

/**
 * The OpenAPI 3.1 document of the REST face: every procedure with `meta.openapi`
 * (the booking API). Generated from the procedures' zod input/output schemas.
 */
export function buildOpenApiDocument(opts: { publicUrl: string; router?: OpenApiRouter }): OpenAPIObject {
  return withPartnerApi(opts.publicUrl, buildBookingDocument(opts));
}

function buildBookingDocument(opts: { publicUrl: string; router?: OpenApiRouter }): OpenAPIObject {
  return generateOpenApiDocument(opts.router ?? getRestRouter(), {
    title: "Ticket kiosk booking API",
    description:
      "REST face of the booking procedures of the typed tRPC API (/api/trpc). Authenticate with an API key: `Authorization: Bearer kak_…`. " +
      "Mutations take an `idempotencyKey`: a retry with the same key and request returns the first answer; the same key with another request is 409.",
    version: OPENAPI_VERSION,
    openApiVersion: "3.1.0",
    baseUrl: `${opts.publicUrl.replace(/\/+$/, "")}${REST_ENDPOINT}`,
    tags: ["booking", "catalog", "events"],
    securitySchemes: {
      Authorization: {
        type: "http",
        scheme: "bearer",
        description: "Booking-system API key `kak_<prefix>_<secret>`, issued by an admin in the staff console.",
      },
    },
  });
}

/** Adds the partner payment API for terminals (issue 18; partner/openapi.ts), served from the site root. */
function withPartnerApi(publicUrl: string, doc: OpenAPIObject): OpenAPIObject {
  const partner = partnerOpenApiParts(publicUrl);
  return Object.assign({}, doc, {
    tags: [
      ...(doc.tags ?? []),
      { name: "partner", description: "Partner payment API for terminals (docs/partner-api.md)" },
    ],
    paths: Object.assign({}, doc.paths, partner.paths),
    components: Object.assign({}, doc.components, {
      schemas: Object.assign({}, doc.components?.schemas, partner.schemas),
      securitySchemes: Object.assign({}, doc.components?.securitySchemes, {
        TerminalKey: {
          type: "http",
          scheme: "bearer",
          description: "Terminal API key `ktm_<prefix>_<secret>` (scope payments:write), issued in the staff console",
        },
      }),
    }),
  }) as OpenAPIObject;
}
