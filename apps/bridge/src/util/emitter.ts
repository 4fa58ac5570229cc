/** A minimal typed event emitter: one listener set per event name. */
export class Emitter<TEvents extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof TEvents, Set<(payload: never) => void>>();

  on<TName extends keyof TEvents>(name: TName, listener: (payload: TEvents[TName]) => void): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  emit<TName extends keyof TEvents>(name: TName, payload: TEvents[TName]): void {
    for (const listener of [...(this.#listeners.get(name) ?? [])]) {
      (listener as (payload: TEvents[TName]) => void)(payload);
    }
  }
}
