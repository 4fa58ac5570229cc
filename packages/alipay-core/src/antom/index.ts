export * from "./signing.ts";
export * from "./wallets.ts";
export * from "./wire.ts";
export * from "./client.ts";
