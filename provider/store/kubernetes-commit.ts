import { KubesliceIpamError } from "../core/kubeslice-ipam-error";
import { SliceLedger } from "../core/ledger";
import { Head, HeadView } from "./kubernetes-head-view";
import { storageOf, withoutStatus } from "./kubernetes-heads";
import { LedgerObjects } from "./kubernetes-ledger-objects";
import { WriteOutcome } from "./kubernetes-requests";
import { ShardCache } from "./kubernetes-shard-cache";
import { nonce, planShards, ShardContents, ShardPlan } from "./kubernetes-shard-plan";
import { sweepOrphans } from "./kubernetes-sweep";
import { LedgerStore, SwapResult } from "./ledger-store";
import { processWide } from "./process-wide";
import { ANNOTATION_COUNTERS, SLICE_IPAM_PLURAL, SliceIpamObject, sliceIpamObject } from "./sliceipam-object";
import {
    ANNOTATION_LEDGER,
    ANNOTATIONS_LIMIT_BYTES,
    annotationBytes,
    commitBasis,
    fingerprintOf,
    headAnnotations,
    headForm,
    projectedStatus,
    UNREGISTERED,
} from "./sliceipam-shard";
import { delayUnlessHurried, holdExitUntil } from "./exit-hold";
import { committingInDrain } from "./update-ledger";

/** One successful commit in this many also sweeps the slice's orphaned shards. */
const SWEEP_EVERY = 256;
/**
 * A head write or delete refused (409) only because a status projection was
 * written in between is repeated over the new version at most this often;
 * then it counts as a lost race.
 */
const PROJECTION_RACE_ATTEMPTS = 8;

// Commits within a burst leave the status projection and the deletion of the
// shards they replaced to the burst's last commit (or to afterBurst); what is
// owed, per slice, process-wide.
interface Owed {
    readonly committed: SliceIpamObject;
    readonly ledger: SliceLedger;
    readonly obsolete: readonly string[];
    readonly contents: ShardContents;
}

const owedWork = () => processWide("kubeslice-ipam.kubernetes-owed-projections", () => new Map<string, Owed>());
/** Slices whose owed projection is already scheduled. */
const projectionsDue = () => processWide("kubeslice-ipam.kubernetes-projections-due", () => new Set<string>());

/** How long after a burst its status projection is written: later commits within it share the write. */
export const PROJECTION_DELAY_MS = 1_000;

/**
 * The commit protocol. Create the changed shards if the head cannot hold
 * the changes as recent entries (kubernetes-shard-plan.ts), then replace
 * the head guarded by the `resourceVersion` that was read: the single
 * compare-and-swap point, so a change (entries, settings and counters
 * together) is all-or-nothing and two writers can never both win. Only then
 * is the status projection written and are the replaced shards deleted —
 * once per burst: a commit of the group commit's drain (update-ledger.ts)
 * leaves both to the drain's afterBurst, which runs once the burst's callers
 * are settled. So a burst of commits costs one status write and no caller
 * waits for it; a process that dies before it leaves the projection one
 * burst behind (the next commit rewrites it) and its replaced shards to the
 * sweep (they record a basis that is no longer the head). A provider process
 * the engine stops (SIGINT, then SIGKILL 5 s later) finishes it first
 * (exit-hold.ts). A head write that meets a 409
 * caused only by a projection write (nothing authoritative changed) is
 * repeated over the new version; any other 409 is a conflict, and the loser
 * deletes the shards it created, which no head ever referenced. After an
 * unknown outcome (a lost connection) it leaves them to the sweep instead: a
 * head may reference them.
 *
 * A head in the single-object form of 0.1 is converted by its first write,
 * under the same compare-and-swap.
 */
export class Commits {
    constructor(
        /** Whose queue tells whether a commit is part of a drain, with an afterBurst to come (update-ledger.ts). */
        private readonly store: Pick<LedgerStore, "key" | "writer">,
        private readonly objects: LedgerObjects,
        private readonly cache: ShardCache,
        private readonly view: HeadView,
    ) {}

    /** The slice's first commit: its shards, then its head; a 409 on the head means someone else registered it. */
    async register(next: SliceLedger): Promise<SwapResult> {
        const sliceName = next.spec.sliceName;
        const plan = planShards(sliceName, next, undefined);
        const { created } = plan;
        if (created.length === 0) {
            // Fails now, not at the commit that first needs a shard, when the SliceIpamShard CRD is missing.
            await this.objects.shardsOf(sliceName);
        }
        await this.objects.createShards(sliceName, created, UNREGISTERED);
        const annotations = headAnnotations(next, plan.refs, nonce(), plan.recent);
        this.checkBudget(sliceName, annotations);
        const body = sliceIpamObject(next, this.objects.namespace);
        body.metadata.annotations = annotations;
        let committed: SliceIpamObject;
        const outcome: WriteOutcome = { uncertain: false };
        try {
            committed = await this.objects.createHead(sliceName, body, outcome);
        } catch (error) {
            if (this.objects.api.isCode(error, 409)) {
                // AlreadyExists: someone else registered it, unless a retried request of ours landed first.
                const existing = await this.objects.head(sliceName);
                if (existing === undefined || existing.metadata.annotations?.[ANNOTATION_LEDGER] !== annotations[ANNOTATION_LEDGER]) {
                    if (!outcome.uncertain) {
                        await this.objects.discard(created);
                    }
                    return { ok: false, conflict: true };
                }
                committed = existing;
            } else {
                if (this.objects.api.isDefinite(error) && !outcome.uncertain) {
                    await this.objects.discard(created);
                }
                throw error;
            }
        }
        return this.afterCommit(committed, next, plan);
    }

    /** A commit over `before`: new shards for the ranges whose entries changed, then the head. */
    async swap(sliceName: string, before: Head, next: SliceLedger): Promise<SwapResult> {
        const plan = planShards(sliceName, next, before);
        const { created } = plan;
        await this.objects.createShards(sliceName, created, commitBasis(before.object));
        const annotations = { ...before.object.metadata.annotations, ...headAnnotations(next, plan.refs, nonce(), plan.recent) };
        try {
            this.checkBudget(sliceName, annotations);
        } catch (error) {
            await this.objects.discard(created);
            throw error;
        }
        let committed: SliceIpamObject | "conflict";
        const outcome: WriteOutcome = { uncertain: false };
        try {
            committed = await this.replaceHead(sliceName, before, annotations, outcome);
        } catch (error) {
            // After an unknown outcome (connection lost) a head may reference them: leave them to the sweep.
            if (this.objects.api.isDefinite(error) && !outcome.uncertain) {
                await this.objects.discard(created);
            }
            throw error;
        }
        if (committed === "conflict") {
            // A retried request may have landed and been built on since: then a head references them.
            if (!outcome.uncertain) {
                await this.objects.discard(created);
            }
            return { ok: false, conflict: true };
        }
        return this.afterCommit(committed, next, plan);
    }

    /** Deletes the slice over `before`, then its shards. */
    async remove(sliceName: string, before: Head): Promise<SwapResult> {
        let version = before.version;
        for (let attempt = 0; attempt < PROJECTION_RACE_ATTEMPTS; attempt++) {
            try {
                await this.objects.deleteHead(sliceName, version);
                this.view.remember(sliceName, undefined);
                await this.objects.discard(before.shards?.values() ?? []);
                return { ok: true };
            } catch (error) {
                if (this.objects.api.isNotFound(error, SLICE_IPAM_PLURAL, sliceName)) {
                    return { ok: false, conflict: true };
                }
                if (!this.objects.api.isCode(error, 409)) {
                    throw error;
                }
            }
            // As in replaceHead: a projection write in between is no conflict.
            const current = await this.objects.head(sliceName);
            if (current === undefined || fingerprintOf(current) !== before.fingerprint) {
                return { ok: false, conflict: true };
            }
            version = current.metadata.resourceVersion!;
        }
        return { ok: false, conflict: true };
    }

    /**
     * A burst of commits is over: the status projection and the deletion of
     * the shards its commits replaced are written PROJECTION_DELAY_MS later,
     * for the latest commit by then. Through the engine a burst is often one
     * commit (it sends creates tens of milliseconds apart), and the status is
     * the costliest write of a commit for the API server (the whole object,
     * validated): a deployment's projection is written once a second, not
     * once per commit. The write is held against SIGINT and SIGTERM
     * (exit-hold.ts), so a provider process the engine stops still makes it,
     * at once: the engine waits for its provider processes to end.
     */
    async afterBurst(sliceName: string): Promise<void> {
        const key = this.view.keyOf(sliceName);
        if (!owedWork().has(key) || projectionsDue().has(key)) {
            return;
        }
        const due = delayUnlessHurried(PROJECTION_DELAY_MS)
            .then(async () => {
                projectionsDue().delete(key);
                const owed = owedWork().get(key);
                if (owed !== undefined) {
                    owedWork().delete(key);
                    await this.finishCommit(owed);
                }
            })
            .catch(() => undefined);
        projectionsDue().add(key);
        holdExitUntil(due);
    }

    /**
     * The compare-and-swap: replaces the head only over `before`. A 409 whose
     * cause was a status projection write (the authoritative part is still
     * `before`'s) is retried over the new version; a retried request of our
     * own that had landed is recognised by its annotations.
     */
    private async replaceHead(
        sliceName: string,
        before: Head,
        annotations: Record<string, string>,
        outcome: WriteOutcome,
    ): Promise<SliceIpamObject | "conflict"> {
        const body: SliceIpamObject = {
            apiVersion: before.object.apiVersion,
            kind: before.object.kind,
            metadata: { ...before.object.metadata, annotations, resourceVersion: before.version },
            spec: before.object.spec,
        };
        for (let attempt = 0; attempt < PROJECTION_RACE_ATTEMPTS; attempt++) {
            try {
                return await this.objects.replaceHead(sliceName, body, outcome);
            } catch (error) {
                if (this.objects.api.isNotFound(error, SLICE_IPAM_PLURAL, sliceName)) {
                    return "conflict"; // unregistered meanwhile
                }
                if (!this.objects.api.isCode(error, 409)) {
                    throw error;
                }
            }
            const current = await this.objects.head(sliceName);
            if (current === undefined) {
                return "conflict";
            }
            const ours =
                current.metadata.annotations?.[ANNOTATION_LEDGER] === annotations[ANNOTATION_LEDGER] &&
                current.metadata.annotations?.[ANNOTATION_COUNTERS] === annotations[ANNOTATION_COUNTERS];
            if (ours) {
                return current;
            }
            if (fingerprintOf(current) !== before.fingerprint) {
                return "conflict";
            }
            body.metadata.resourceVersion = current.metadata.resourceVersion;
        }
        return "conflict";
    }

    /**
     * Committed: remember, write the projection, drop the replaced shards.
     * None of it can undo the commit. Inside the group commit's drain
     * (update-ledger.ts) the projection and the deletions are left to its
     * afterBurst, which runs once the burst's callers have their results: one
     * projection write per burst, on no caller's path. The projection is the
     * slowest write of a commit (the whole status, validated by the server):
     * an acknowledgement waits for the shards and the head only. Outside a
     * drain (a copy's registration) nobody calls afterBurst: done here.
     */
    private async afterCommit(committed: SliceIpamObject, next: SliceLedger, plan: ShardPlan): Promise<SwapResult> {
        for (const { ref, entries } of plan.created) {
            this.cache.set(ref, entries);
        }
        const sliceName = next.spec.sliceName;
        const key = this.view.keyOf(sliceName);
        const owed: Owed = {
            committed,
            ledger: next,
            contents: plan.contents,
            obsolete: [...(owedWork().get(key)?.obsolete ?? []), ...plan.obsolete.map((ref) => ref.name)],
        };
        owedWork().delete(key);
        this.rememberCommitted(committed, next, plan.contents);
        if (committingInDrain(this.store, sliceName)) {
            owedWork().set(key, owed);
        } else {
            await this.finishCommit(owed);
        }
        if (Math.random() * SWEEP_EVERY < 1) {
            await sweepOrphans(this.objects, sliceName).catch(() => undefined);
        }
        return { ok: true };
    }

    /** The status projection of the latest commit and the deletion of the shards commits replaced, in parallel. */
    private async finishCommit(owed: Owed): Promise<void> {
        const [projected] = await Promise.all([this.writeProjection(owed.committed, owed.ledger), this.objects.deleteShards(owed.obsolete)]);
        // The projection's new version is the one to build on, unless a newer commit is known meanwhile.
        if (projected !== undefined && this.view.seen(owed.ledger.spec.sliceName)?.head?.version === owed.committed.metadata.resourceVersion) {
            this.rememberCommitted(projected, owed.ledger, owed.contents);
        }
    }

    private rememberCommitted(final: SliceIpamObject, next: SliceLedger, contents: ShardContents): void {
        if (headForm(final).form === "sharded") {
            this.view.remember(next.spec.sliceName, {
                object: withoutStatus(final),
                version: final.metadata.resourceVersion!,
                fingerprint: fingerprintOf(final),
                ledger: next,
                shards: contents,
                storage: storageOf(final.metadata.annotations),
            });
        }
    }

    /** Best effort: a lost race means a later commit writes its own projection. */
    private async writeProjection(head: SliceIpamObject, ledger: SliceLedger): Promise<SliceIpamObject | undefined> {
        try {
            return await this.objects.writeStatus({ ...withoutStatus(head), status: projectedStatus(ledger, new Date()) });
        } catch (error) {
            if (this.objects.api.isCode(error, 409) || this.objects.api.isCode(error, 404)) {
                return undefined;
            }
            throw error;
        }
    }

    private checkBudget(sliceName: string, annotations: Record<string, string>): void {
        const used = annotationBytes(annotations);
        if (used > ANNOTATIONS_LIMIT_BYTES) {
            throw new KubesliceIpamError(
                "ledger-too-large",
                `${this.objects.description}: cannot update slice "${sliceName}": its shard list needs ${used} bytes of annotations, ` +
                    `over the API server's ${ANNOTATIONS_LIMIT_BYTES}; nothing was written. Lower gracePeriodSeconds so that ` +
                    `Released entries are reclaimed sooner, or move clusters to a new slice.`,
            );
        }
    }
}
