// Wraps a store's compareAndSwap to count the races this process lost, as it
// saw them: the ledger's conflicts counter must add up to them.
module.exports.countConflicts = function countConflicts(store) {
    const counted = { conflicts: 0 };
    const compareAndSwap = store.compareAndSwap.bind(store);
    store.compareAndSwap = async (...args) => {
        const result = await compareAndSwap(...args);
        counted.conflicts += result.ok ? 0 : 1;
        return result;
    };
    return counted;
};
