export type { Allocation, AllocationStatus, Capacity, SliceLedger } from "./core/ledger";
export type { LedgerStore, VersionedLedger, SwapResult } from "./store/ledger-store";
export { FileLedgerStore } from "./store/file-store";
export { openStore, DEFAULT_STORE_DIRECTORY } from "./store/store-spec";
export type { StoreSpec } from "./store/store-spec";
export { IpamError } from "./service/errors";
export type { IpamErrorCode } from "./service/errors";
