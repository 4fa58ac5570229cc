import { describe, expect, it } from "vitest";
import { decodePaperSensorReply, decodeStatus, encodePaperSensorReply, encodeStatus, isStatusByte } from "./status.ts";

describe("DLE EOT status decoding", () => {
  it("reads an idle printer (0x12 0x12 0x12 0x12)", () => {
    expect(decodeStatus({ printer: 0x12, offlineCause: 0x12, errorCause: 0x12, paperSensor: 0x12 })).toEqual({
      online: true,
      coverOpen: false,
      paper: "ok",
      error: false,
    });
  });

  it("reads paper near end from DLE EOT 4 bits 2–3 (0x1E)", () => {
    expect(decodeStatus({ printer: 0x12, offlineCause: 0x12, errorCause: 0x12, paperSensor: 0x1e }).paper).toBe(
      "near_end",
    );
  });

  it("reads paper out: offline (0x1A), paper-end stop (0x32), sensor (0x7E)", () => {
    const status = decodeStatus({ printer: 0x1a, offlineCause: 0x32, errorCause: 0x12, paperSensor: 0x7e });
    expect(status).toEqual({ online: false, coverOpen: false, paper: "out", error: false });
  });

  it("reads cover open (DLE EOT 2 bit 2, 0x16)", () => {
    expect(decodeStatus({ printer: 0x1a, offlineCause: 0x16, errorCause: 0x12, paperSensor: 0x12 }).coverOpen).toBe(
      true,
    );
  });

  it("reads a cutter error (DLE EOT 3 bit 3, 0x1A)", () => {
    expect(decodeStatus({ printer: 0x12, offlineCause: 0x52, errorCause: 0x1a, paperSensor: 0x12 }).error).toBe(true);
  });

  it("tells status bytes from GS r replies by the fixed bits", () => {
    expect(isStatusByte(0x12)).toBe(true);
    expect(isStatusByte(0x7e)).toBe(true);
    expect(isStatusByte(0x00)).toBe(false);
    expect(isStatusByte(0x0f)).toBe(false);
  });

  it("round-trips the virtual printer's encoding", () => {
    for (const paper of ["ok", "near_end", "out"] as const) {
      const state = { online: paper !== "out", coverOpen: false, paper, error: false };
      expect(decodeStatus(encodeStatus(state))).toEqual(state);
      expect(decodePaperSensorReply(encodePaperSensorReply(paper))).toBe(paper);
    }
  });
});
