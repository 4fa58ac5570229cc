/**
 * The money services' names for the server's unified types (../deps.ts, ../log.ts,
 * ../metrics.ts). Aliases only: kept while the money services move to the unified names.
 */
import type { ActorRef as UnifiedActorRef, AppDeps, AppEventSink, Actor as UnifiedActor } from "../deps.ts";
import type { Logger } from "../log.ts";
import type { AppMetrics } from "../metrics.ts";

export type Actor = UnifiedActor;
export type ActorRef = UnifiedActorRef;
export type MoneyDeps = AppDeps;
export type MoneyLogger = Logger;
export type MoneyMetrics = AppMetrics;
export type MoneyEventSink = AppEventSink;
export type { MoneyDomainEvent } from "../deps.ts";

export { actorId, actorType, detectProvider, newId, SYSTEM_ACTOR } from "../deps.ts";
export { silentLogger } from "../log.ts";
export { noopMetrics } from "../metrics.ts";
