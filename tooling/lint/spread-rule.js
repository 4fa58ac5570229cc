// kiosk/no-leading-spread: on Node 20 (V8 11.3) an object literal that starts with a spread and
// then adds a key (`{ ...row, updatedAt: now }`, `{ ...a, ...b }`) gets a new hidden class at
// every evaluation: ≈ 1–3 µs instead of ≈ 0.1 µs, and garbage that outlives two scavenges and
// only a full collection frees. On the purchase path that was half of what the server promoted
// (issue 16, fifteenth session: packages/api/README.md, "Objects on hot paths"). The literal is
// fine when it starts with a key (`{ state: "PAID", ...base }`) and so is
// `Object.assign({}, row, { updatedAt: now })`: both reuse the cached hidden classes.
// Server code only (the kiosk's pages run in the browser's newer engine).
// tooling/lint/spread-rule.test.ts proves that it fires.

/** @type {import("eslint").Rule.RuleModule} */
const noLeadingSpread = {
  meta: {
    type: "problem",
    messages: {
      leadingSpread:
        "A literal that starts with a spread and adds keys gets a new hidden class per call on Node 20: " +
        "put a key first ({ k: v, ...a }) when the spread cannot hold it, or write Object.assign({}, a, { k: v }).",
    },
    schema: [],
  },
  create(context) {
    return {
      ObjectExpression(node) {
        if (node.properties.length > 1 && node.properties[0].type === "SpreadElement")
          context.report({ node, messageId: "leadingSpread" });
      },
    };
  },
};

export const spreadRules = { "no-leading-spread": noLeadingSpread };
