import { decodeWpc1252 } from "../src/printer/escpos.ts";
import type { EscPosCommand } from "../src/virtual/escpos-parser.ts";

/** The printed text of parsed ESC/POS commands, one string per line (decoded from WPC1252). */
export function textLines(commands: EscPosCommand[]): string[] {
  const lines: string[] = [];
  let line = "";
  for (const command of commands) {
    if (command.kind === "text") line += decodeWpc1252(command.bytes);
    if (command.kind === "newline") {
      lines.push(line);
      line = "";
    }
  }
  return lines;
}
