import { describe, expect, it } from "vitest";
import { DEV_PAIRING_TOKEN, EnvError, parseEnv } from "./env.ts";

describe("parseEnv", () => {
  it("applies the documented defaults", () => {
    const env = parseEnv({});
    expect(env.BRIDGE_PORT).toBe(7878);
    expect(env.BRIDGE_HOST).toBe("127.0.0.1");
    expect(env.BRIDGE_PAIRING_TOKEN).toEqual([DEV_PAIRING_TOKEN]);
    expect(env.BRIDGE_DATA_DIR).toBe("./data/bridge");
    expect(env.BRIDGE_PRINTER).toEqual({ kind: "virtual" });
    expect(env.BRIDGE_SCANNER).toEqual({ kind: "virtual" });
  });

  it("parses device targets", () => {
    const env = parseEnv({
      BRIDGE_PRINTER: "tcp://192.168.1.50:9100",
      BRIDGE_SCANNER: "hid-keyboard:0c2e:0b61",
    });
    expect(env.BRIDGE_PRINTER).toEqual({ kind: "tcp", host: "192.168.1.50", port: 9100 });
    expect(env.BRIDGE_SCANNER).toEqual({ kind: "hid-keyboard", vendorId: 0x0c2e, productId: 0x0b61 });
    expect(parseEnv({ BRIDGE_PRINTER: "usb:04b8:0e28" }).BRIDGE_PRINTER).toEqual({
      kind: "usb",
      vendorId: 0x04b8,
      productId: 0x0e28,
    });
    expect(parseEnv({ BRIDGE_SCANNER: "serial:/dev/ttyACM0@115200" }).BRIDGE_SCANNER).toEqual({
      kind: "serial",
      path: "/dev/ttyACM0",
      baudRate: 115200,
    });
  });

  it("refuses a non-loopback host, naming the variable", () => {
    expect(() => parseEnv({ BRIDGE_HOST: "0.0.0.0" })).toThrow(/BRIDGE_HOST: must be a loopback address/);
  });

  it("names the variable for a bad printer target and a bad origin", () => {
    expect(() => parseEnv({ BRIDGE_PRINTER: "lpt1" })).toThrow(/BRIDGE_PRINTER/);
    expect(() => parseEnv({ BRIDGE_ALLOWED_ORIGINS: "not a url" })).toThrow(/BRIDGE_ALLOWED_ORIGINS/);
    expect(() => parseEnv({ BRIDGE_PORT: "70000" })).toThrow(EnvError);
  });

  it("refuses the dev pairing token in production", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/BRIDGE_PAIRING_TOKEN/);
  });
});
