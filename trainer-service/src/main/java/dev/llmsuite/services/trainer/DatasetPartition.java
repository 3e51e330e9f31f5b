package dev.llmsuite.services.trainer;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * The partition of {@code train.batches} and {@code val.batches} a dataset's batches are on: the sampler keys
 * them by dataset, and Kafka's default partitioner puts a key on {@code murmur2(key) mod partitions}. The
 * replica that the consumer group gives that partition trains the dataset's jobs.
 */
final class DatasetPartition {
    private DatasetPartition() {}

    static int of(String dataset, int partitions) {
        if (partitions <= 0) throw new IllegalStateException("the batch topics' partition count is not known yet");
        return Utils.toPositive(Utils.murmur2(dataset.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
