/** Public API of `@kiosk/alipay-keys`. */
export * from "./keys.ts";
export * from "./diagnoses.ts";
export * from "./check.ts";
export * from "./install.ts";
export { editEnvText, parseEnvText, readEnvFile, updateEnvFile, writeFileAtomic, type EnvEdit } from "./env-file.ts";
export { checkConfigFromEnv, DEFAULT_GATEWAY_URL, type EnvSource } from "./env.ts";
