/** The MAPI XML envelope: parsing, declared charset, gateway (`is_success=F`) errors. */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { AlipayGatewayError, AlipayResponseError } from "../errors.ts";
import { asRecord } from "../shared/mapping.ts";

/** Parsed MAPI envelope. `fields` are the children of `response/alipay` (the signed part). */
export type MapiEnvelope =
  | { isSuccess: false; error: string }
  | {
      isSuccess: true;
      fields: Record<string, string>;
      sign: string | undefined;
      signType: string | undefined;
    };

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});
/**
 * Parses a MAPI XML body. Leaves verification to the caller: the signed content is
 * `buildSignContent(fields)`. @throws AlipayResponseError for malformed XML or shapes.
 */
export function parseMapiEnvelope(xml: string): MapiEnvelope {
  // Alipay never sends a DTD; refusing one rules out entity-expansion tricks.
  if (/<!(DOCTYPE|ENTITY)/i.test(xml)) throw new AlipayResponseError("MAPI response contains a DTD");
  if (XMLValidator.validate(xml) !== true) throw new AlipayResponseError("MAPI response is not well-formed XML");
  const root = asRecord(asRecord(xmlParser.parse(xml))?.["alipay"]);
  if (!root) throw new AlipayResponseError("MAPI response has no <alipay> root element");
  const isSuccess = root["is_success"];
  if (isSuccess === "F") {
    const error = root["error"];
    return {
      isSuccess: false,
      error: typeof error === "string" && error !== "" ? error : "UNKNOWN_GATEWAY_ERROR",
    };
  }
  if (isSuccess !== "T") throw new AlipayResponseError("MAPI response has no valid <is_success>");
  const inner = asRecord(asRecord(root["response"])?.["alipay"]);
  if (!inner) throw new AlipayResponseError("MAPI response has is_success=T but no <response><alipay>");
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(inner)) {
    if (typeof value !== "string") {
      throw new AlipayResponseError(`MAPI response field <${name}> is repeated or nested`);
    }
    fields[name] = value;
  }
  const sign = root["sign"];
  const signType = root["sign_type"];
  return {
    isSuccess: true,
    fields,
    sign: typeof sign === "string" && sign !== "" ? sign : undefined,
    signType: typeof signType === "string" && signType !== "" ? signType : undefined,
  };
}

/** Charset declared in an XML declaration or Content-Type header, lower-cased. */
export function declaredCharset(contentType: string | undefined, head: string): string {
  const fromHeader = /charset=([A-Za-z0-9_-]+)/i.exec(contentType ?? "")?.[1];
  const fromXml = /^<\?xml[^>]*encoding=["']([A-Za-z0-9_-]+)["']/i.exec(head)?.[1];
  return (fromXml ?? fromHeader ?? "utf-8").toLowerCase();
}

/** MAPI gateway errors that mean "try again" rather than "your request is wrong". */
const MAPI_RETRYABLE_GATEWAY_ERRORS = new Set(["SYSTEM_ERROR", "SESSION_TIMEOUT"]);

/** Typed error for a MAPI `is_success=F` (unsigned) rejection. */
export function mapiGatewayError(error: string, requestId: string | undefined): AlipayGatewayError {
  return new AlipayGatewayError(`Alipay gateway rejected the request: ${error}`, {
    gatewayCode: error,
    isRetryable: MAPI_RETRYABLE_GATEWAY_ERRORS.has(error),
    ...(requestId !== undefined ? { requestId } : {}),
  });
}
