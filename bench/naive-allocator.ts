import { IPv4, IPv4CidrRange } from "ip-num";

/**
 * The allocator the way the design guide describes it: generate the whole
 * subnet list, then scan it for the first subnet no entry holds. It is the
 * reference model for property tests and the baseline for benchmarks, so it
 * is deliberately simple and independent of the core (strings and a Set,
 * ip-num's own range splitting instead of index arithmetic).
 */
export interface NaiveEntry {
    subnet: string;
    status: "Allocated" | "InUse" | "Released";
    releasedAt?: number;
}

export class NaiveAllocator {
    readonly entries = new Map<string, NaiveEntry>();

    constructor(
        readonly sliceSubnet: string,
        readonly subnetSize: number,
        readonly graceMs: number,
        readonly maxClusters: number,
    ) {}

    /** The guide's `generatePool`: every subnet, in order. */
    generatePool(): string[] {
        const parent = IPv4CidrRange.fromCidr(this.sliceSubnet);
        const first = parent.getFirst().getValue();
        const step = 1n << BigInt(32 - this.subnetSize);
        const count = Number(parent.getSize() / step);
        const subnets: string[] = new Array(count);
        for (let i = 0; i < count; i++) {
            subnets[i] = `${IPv4.fromNumber(first + BigInt(i) * step).toString()}/${this.subnetSize}`;
        }
        return subnets;
    }

    allocate(cluster: string, now: number): string | undefined {
        const held = this.entries.get(cluster);
        if (held && held.status !== "Released") {
            return held.subnet;
        }
        const active = [...this.entries.values()].filter((e) => e.status !== "Released").length;
        if (active >= this.maxClusters) {
            return undefined;
        }
        if (held && now < (held.releasedAt ?? 0) + this.graceMs) {
            held.status = "Allocated";
            delete held.releasedAt;
            return held.subnet;
        }
        this.reclaim(now);
        const taken = new Set([...this.entries.values()].map((e) => e.subnet));
        const subnet = this.generatePool().find((candidate) => !taken.has(candidate));
        if (subnet !== undefined) {
            this.entries.set(cluster, { subnet, status: "Allocated" });
        }
        return subnet;
    }

    release(cluster: string, now: number): void {
        const held = this.entries.get(cluster);
        if (held && held.status !== "Released") {
            held.status = "Released";
            held.releasedAt = now;
        }
    }

    reclaim(now: number): void {
        for (const [cluster, entry] of this.entries) {
            if (entry.status === "Released" && now >= (entry.releasedAt ?? 0) + this.graceMs) {
                this.entries.delete(cluster);
            }
        }
    }
}
