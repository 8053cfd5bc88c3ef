import { LedgerObjects } from "./kubernetes-ledger-objects";
import { ANNOTATION_BASED_ON, commitBasis, headForm, SliceIpamShardObject, UNREGISTERED } from "./sliceipam-shard";

/** Unreferenced shards younger than this may belong to a commit in flight; the sweep leaves them. */
const SWEEP_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * Deletes the slice's shards that no head references and that no commit
 * can reference any more; returns how many. Orphans (a process killed
 * between creating shards and committing, or between committing and
 * deleting) are harmless, since readers only follow references; this only
 * reclaims their space.
 *
 * A shard records the head its writer read (`ipam.kubeslice-ipam.io/based-on`,
 * `commitBasis`); that writer's commit succeeds only while the head is still
 * the same commit, and every commit has a new nonce, so once the head is
 * another commit the shard is an orphan for good — whatever any clock says.
 * Shards of older versions, which record nothing, and those of a
 * registration (which would commit if the slice were removed and its create
 * went through) are judged by age on the API server's own clock (its Date
 * header), never ours: older than SWEEP_MIN_AGE_MS.
 */
export async function sweepOrphans(objects: LedgerObjects, sliceName: string): Promise<number> {
    const { items: shards, serverTime } = await objects.shardsOf(sliceName);
    const head = await objects.head(sliceName);
    if (head === undefined) {
        return 0; // a registration in flight may still commit its shards
    }
    const form = headForm(head);
    if (form.form === "corrupt") {
        return 0;
    }
    const referenced = new Set(form.form === "sharded" ? form.refs.map((ref) => ref.name) : []);
    const current = commitBasis(head);
    const orphaned = (shard: SliceIpamShardObject): boolean => {
        const basis = shard.metadata.annotations?.[ANNOTATION_BASED_ON];
        // A registration's shards (a copied ledger) could still commit if this head were deleted first: by age only.
        if (basis !== undefined && basis !== UNREGISTERED) {
            return basis !== current;
        }
        const created = Date.parse(shard.metadata.creationTimestamp ?? "");
        return serverTime !== undefined && created < serverTime - SWEEP_MIN_AGE_MS;
    };
    const orphans = shards.filter((shard) => !referenced.has(shard.metadata.name) && orphaned(shard));
    await objects.deleteShards(orphans.map((shard) => shard.metadata.name));
    return orphans.length;
}
