/** Minimal XML writer for the MAPI envelope (reference §1.3). */

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** `<alipay><is_success>F</is_success><error>CODE</error></alipay>`: unsigned gateway rejection. */
export function mapiGatewayErrorXml(error: string): string {
  return `${DECLARATION}\n<alipay><is_success>F</is_success><error>${escapeXml(error)}</error></alipay>`;
}

/** Success envelope: request echo, alphabetically ordered business fields, signature. */
export function mapiResponseXml(spec: {
  request: ReadonlyArray<readonly [string, string]>;
  response: Readonly<Record<string, string>>;
  sign: string;
  signType: string;
}): string {
  const echo = spec.request.map(([k, v]) => `<param name="${escapeXml(k)}">${escapeXml(v)}</param>`).join("");
  const fields = Object.keys(spec.response)
    .sort()
    .map((k) => `<${k}>${escapeXml(spec.response[k] as string)}</${k}>`)
    .join("");
  return (
    `${DECLARATION}\n<alipay><is_success>T</is_success><request>${echo}</request>` +
    `<response><alipay>${fields}</alipay></response>` +
    `<sign>${escapeXml(spec.sign)}</sign><sign_type>${escapeXml(spec.signType)}</sign_type></alipay>`
  );
}
