import type { Forge, ForgeKind, ForgeRef, ForgeRegistry } from './types.js';

type Factory<K extends ForgeKind> = (ref: Extract<ForgeRef, { kind: K }>) => Promise<Forge>;

/** The forges this server serves; a job naming another one fails with a clear message. */
export class Forges implements ForgeRegistry {
  private readonly factories = new Map<ForgeKind, Factory<ForgeKind>>();

  register<K extends ForgeKind>(kind: K, factory: Factory<K>): this {
    this.factories.set(kind, factory as unknown as Factory<ForgeKind>);
    return this;
  }

  async forge(ref: ForgeRef): Promise<Forge> {
    const make = this.factories.get(ref.kind);
    if (!make) throw new Error(`this server is not configured for ${ref.kind}`);
    return make(ref);
  }
}
