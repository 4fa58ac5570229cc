// kiosk/no-money-facts: money facts have ONE source, packages/alipay-core/src/money.ts
// (`@kiosk/alipay-core/money`). Anywhere else this refuses
//   - a currency exponent table ({ SGD: 2, JPY: 0 } or [{ code: "JPY", exponent: 0 }]),
//   - exponents read from Intl's currency data (resolvedOptions().maximumFractionDigits),
//     which disagrees with Alipay (IDR: Intl 0, Alipay 2),
//   - Intl currency formatting (use formatMinor, which pins the fraction digits),
//   - a copy of the payment code pattern (2[5-9]|30) or of the masking / exponent functions.
// tooling/lint/money-rule.test.ts proves that it fires.

const CURRENCY_KEY = /^[A-Z]{3}$/;
const EXPONENT_NAMES = new Set(["exponent", "minorUnits", "minorDigits", "decimals", "digits", "fractionDigits"]);
const CURRENCY_NAMES = new Set(["code", "currency"]);
const OWN_FUNCTIONS = new Set(["maskPaymentCode", "currencyExponent", "currencyDigits", "formatMinor"]);

const keyName = (property) => {
  if (property.type !== "Property" || property.computed) return undefined;
  if (property.key.type === "Identifier") return property.key.name;
  if (property.key.type === "Literal" && typeof property.key.value === "string") return property.key.value;
  return undefined;
};

const unwrap = (node) =>
  node?.type === "TSAsExpression" || node?.type === "TSSatisfiesExpression" ? unwrap(node.expression) : node;
const isSmallInteger = (value) => {
  const node = unwrap(value);
  return (
    node?.type === "Literal" &&
    typeof node.value === "number" &&
    Number.isInteger(node.value) &&
    node.value >= 0 &&
    node.value <= 4
  );
};

const isCurrencyOptions = (node) =>
  node?.type === "ObjectExpression" &&
  node.properties.some((p) => keyName(p) === "style" && p.value.type === "Literal" && p.value.value === "currency");

const isIntlNumberFormat = (callee) =>
  callee.type === "MemberExpression" &&
  !callee.computed &&
  callee.object.type === "Identifier" &&
  callee.object.name === "Intl" &&
  callee.property.type === "Identifier" &&
  callee.property.name === "NumberFormat";

/** @type {import("eslint").Rule.RuleModule} */
const noMoneyFacts = {
  meta: {
    type: "problem",
    docs: {
      description:
        "Money facts (currency exponents, money formatting, payment code format and masking) come only from @kiosk/alipay-core/money",
    },
    schema: [],
    messages: {
      table:
        "A currency exponent table outside the money module: import CURRENCY_EXPONENT / currencyExponent from @kiosk/alipay-core/money.",
      intlDigits:
        "Currency digits from Intl's data disagree with Alipay's (IDR): use currencyExponent from @kiosk/alipay-core/money.",
      intlCurrency:
        "Money is formatted only by formatMinor from @kiosk/alipay-core/money (it pins the fraction digits to Alipay's exponent).",
      codePattern:
        "A copy of the payment code format: use PAYMENT_CODE_PATTERN / isPaymentCode from @kiosk/alipay-core/money.",
      ownFunction: "'{{name}}' is defined once, in @kiosk/alipay-core/money: import it.",
    },
  },
  create(context) {
    const reportNamed = (id) => {
      if (id?.type === "Identifier" && OWN_FUNCTIONS.has(id.name))
        context.report({ node: id, messageId: "ownFunction", data: { name: id.name } });
    };
    return {
      ObjectExpression(node) {
        const names = node.properties.map(keyName);
        const currencyEntries = node.properties.filter(
          (p, i) => CURRENCY_KEY.test(names[i] ?? "") && isSmallInteger(p.value),
        );
        if (currencyEntries.length >= 2) {
          context.report({ node, messageId: "table" });
          return;
        }
        const hasExponent = node.properties.some(
          (p, i) => EXPONENT_NAMES.has(names[i] ?? "") && isSmallInteger(p.value),
        );
        const hasCurrency = node.properties.some((p, i) => CURRENCY_NAMES.has(names[i] ?? ""));
        if (hasExponent && hasCurrency) context.report({ node, messageId: "table" });
      },
      MemberExpression(node) {
        if (node.computed || node.property.type !== "Identifier") return;
        if (node.property.name !== "maximumFractionDigits" && node.property.name !== "minimumFractionDigits") return;
        const object = node.object;
        if (
          object.type === "CallExpression" &&
          object.callee.type === "MemberExpression" &&
          object.callee.property.type === "Identifier" &&
          object.callee.property.name === "resolvedOptions"
        ) {
          context.report({ node, messageId: "intlDigits" });
        }
      },
      "NewExpression, CallExpression"(node) {
        if (isIntlNumberFormat(node.callee) && isCurrencyOptions(node.arguments[1]))
          context.report({ node, messageId: "intlCurrency" });
      },
      Literal(node) {
        if (node.regex && /2\[5-9\]\|30/.test(node.regex.pattern)) context.report({ node, messageId: "codePattern" });
      },
      FunctionDeclaration(node) {
        reportNamed(node.id);
      },
      VariableDeclarator(node) {
        if (node.init?.type === "ArrowFunctionExpression" || node.init?.type === "FunctionExpression")
          reportNamed(node.id);
      },
    };
  },
};

export const kioskLintPlugin = { meta: { name: "kiosk" }, rules: { "no-money-facts": noMoneyFacts } };

/** The one file allowed to state money facts. */
export const MONEY_MODULE = "packages/alipay-core/src/money.ts";
