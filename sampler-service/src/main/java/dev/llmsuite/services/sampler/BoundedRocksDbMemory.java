package dev.llmsuite.services.sampler;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Every RocksDB store of this replica shares one block cache and one write-buffer budget, so the stores'
 * memory outside the heap has one bound ({@code llm.sampler.rocksdb-memory-bytes}) however many tasks and stores it
 * runs: by default each store would take its own 50 MB cache and up to 48 MB of memtables, and five stores per
 * task times the tasks of a replica would outgrow the pod. Kafka Streams makes this class by name, per store.
 */
public class BoundedRocksDbMemory implements RocksDBConfigSetter {
    /** The Kafka Streams property that carries the bound, in bytes. */
    static final String MEMORY_BYTES = "llm.sampler.rocksdb-memory-bytes";

    private static Cache cache;
    private static WriteBufferManager writeBuffers;

    /** The shared cache and write-buffer manager, made by the first store (a quarter of the bound for memtables). */
    private static synchronized void share(long bytes) {
        if (cache != null) return;
        cache = new LRUCache(bytes, -1, false, 0.1);
        writeBuffers = new WriteBufferManager(bytes / 4, cache);
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        share(Long.parseLong(String.valueOf(configs.getOrDefault(MEMORY_BYTES, 64L << 20))));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(writeBuffers);
        options.setMaxWriteBufferNumber(2);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the manager are shared by every store of the process: they live as long as it does
    }
}
