/**
 * For `next start`: Next keeps a client-sent X-Forwarded-For as it is (it only fills the
 * header in when absent), so the route handlers could not tell an invented header from a
 * proxy's. Installed from instrumentation.ts before the first request, this appends the
 * TCP peer to X-Forwarded-For of every request a node:http server in this process receives,
 * exactly as node-http.ts does for the headless server (see client-address.ts).
 */
import { Server, type IncomingMessage } from "node:http";
import { stampPeer } from "./client-address.ts";

const INSTALLED = Symbol.for("kiosk.peer-forwarding");

export function installPeerForwarding(): void {
  const proto = Server.prototype as Server & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const emit = proto.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  proto.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") stampPeer(args[0] as IncomingMessage);
    return emit.call(this, event, ...args);
  } as Server["emit"];
}
