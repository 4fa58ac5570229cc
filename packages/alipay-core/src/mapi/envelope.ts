/** The MAPI XML envelope: parsing, declared charset, gateway (`is_success=F`) errors. */
import { SaxesParser } from "saxes";
import { AlipayGatewayError, AlipayResponseError } from "../errors.ts";

/** Parsed MAPI envelope. `fields` are the children of `response/alipay` (the signed part). */
export type MapiEnvelope =
  | { isSuccess: false; error: string }
  | {
      isSuccess: true;
      fields: Record<string, string>;
      sign: string | undefined;
      signType: string | undefined;
    };

/** An element of the envelope: its children and its own text (attributes are not used). */
type XmlElement = { name: string; children: XmlElement[]; text: string };

/**
 * The document's root element, read by a conforming, non-validating XML parser (saxes):
 * well-formedness is checked as it reads (an unclosed or mismatched tag, an undefined entity, a
 * bare `&`, a second root or text outside it are errors), the five predefined entities and
 * character references are decoded, CDATA is text. Until the fourteenth session this was
 * fast-xml-parser's validator and parser: two passes, ≈ 100 µs and ≈ 160 KB of garbage per
 * answer on the purchase path (a third of all the server allocated per purchase), and it left
 * character references (`&#36;`) and unknown entities (`&nbsp;`) in the text as written.
 */
function rootElement(xml: string): XmlElement {
  const document: XmlElement = { name: "", children: [], text: "" };
  const open: XmlElement[] = [document];
  const parser = new SaxesParser({ position: false });
  parser.on("opentag", (tag) => {
    const element: XmlElement = { name: tag.name, children: [], text: "" };
    open[open.length - 1]!.children.push(element);
    open.push(element);
  });
  parser.on("closetag", () => {
    open.pop();
  });
  parser.on("text", (text) => {
    open[open.length - 1]!.text += text;
  });
  parser.on("cdata", (text) => {
    open[open.length - 1]!.text += text;
  });
  try {
    parser.write(xml).close(); // saxes throws on the first well-formedness error
  } catch (error) {
    throw new AlipayResponseError("MAPI response is not well-formed XML", { cause: error });
  }
  const root = document.children[0];
  if (!root) throw new AlipayResponseError("MAPI response is not well-formed XML");
  return root;
}

/** The one child named `name`; undefined when there is none. @throws AlipayResponseError when repeated. */
function child(element: XmlElement, name: string): XmlElement | undefined {
  let found: XmlElement | undefined;
  for (const c of element.children) {
    if (c.name !== name) continue;
    if (found) throw new AlipayResponseError(`MAPI response element <${name}> is repeated`);
    found = c;
  }
  return found;
}

/** A leaf's text, trimmed; undefined for an absent element or one with elements inside. */
function leafText(element: XmlElement | undefined): string | undefined {
  return element && element.children.length === 0 ? element.text.trim() : undefined;
}

/**
 * Parses a MAPI XML body. Leaves verification to the caller: the signed content is
 * `buildSignContent(fields)`. @throws AlipayResponseError for malformed XML or shapes.
 */
export function parseMapiEnvelope(xml: string): MapiEnvelope {
  // Alipay never sends a DTD; refusing one rules out entity-expansion tricks.
  if (/<!(DOCTYPE|ENTITY)/i.test(xml)) throw new AlipayResponseError("MAPI response contains a DTD");
  const root = rootElement(xml);
  if (root.name !== "alipay") throw new AlipayResponseError("MAPI response has no <alipay> root element");
  const isSuccess = leafText(child(root, "is_success"));
  if (isSuccess === "F") {
    return { isSuccess: false, error: leafText(child(root, "error")) || "UNKNOWN_GATEWAY_ERROR" };
  }
  if (isSuccess !== "T") throw new AlipayResponseError("MAPI response has no valid <is_success>");
  const response = child(root, "response");
  const inner = response && child(response, "alipay");
  if (!inner) throw new AlipayResponseError("MAPI response has is_success=T but no <response><alipay>");
  const fields: Record<string, string> = {};
  for (const field of inner.children) {
    const value = leafText(field);
    // (`__proto__` would set the object's prototype, not a field: no Alipay field is named so.)
    if (value === undefined || Object.hasOwn(fields, field.name) || field.name === "__proto__") {
      throw new AlipayResponseError(`MAPI response field <${field.name}> is repeated or nested`);
    }
    fields[field.name] = value;
  }
  // An empty <sign> or <sign_type> is an absent one.
  return {
    isSuccess: true,
    fields,
    sign: leafText(child(root, "sign")) || undefined,
    signType: leafText(child(root, "sign_type")) || undefined,
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
