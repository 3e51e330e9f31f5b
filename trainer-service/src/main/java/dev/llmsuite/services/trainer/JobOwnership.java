package dev.llmsuite.services.trainer;

import dev.llmsuite.records.Topics;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Which jobs this replica trains, decided by Kafka's consumer group protocol: the batch consumer subscribes to
 * {@code train.batches} and {@code val.batches} with the range assignor, so partition p of both topics goes to
 * the same replica, and that replica trains the jobs of every dataset on p. The group coordinator moves
 * partitions when replicas join, leave or die; this listener moves the jobs with them. It runs on the consumer's
 * thread, inside the rebalance: the group waits until a replica giving jobs up has checkpointed them. The owner
 * of partition 0 also runs the fine-tuning jobs ({@link FinetuneJobs#lead}).
 *
 * <p>Partitions lost rather than revoked (this replica was out of the group past its session timeout, so another
 * may own them already) come here as revocations too (Kafka's default, which SmallRye keeps): the checkpoint is
 * written, but the group refuses its commit, so it is never named or announced ({@link JobCheckpointing}).</p>
 */
@ApplicationScoped
@Identifier(JobOwnership.NAME)
public class JobOwnership implements KafkaConsumerRebalanceListener {
    static final String NAME = "trainer-job-ownership";
    private static final Logger LOG = Logger.getLogger(JobOwnership.class);

    private final TrainingJobs jobs;
    private final JobCheckpointing checkpointing;
    private final FinetuneJobs finetuneJobs;

    JobOwnership(TrainingJobs jobs, JobCheckpointing checkpointing, FinetuneJobs finetuneJobs) {
        this.jobs = jobs;
        this.checkpointing = checkpointing;
        this.finetuneJobs = finetuneJobs;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Set<Integer> train = trainPartitions(partitions);
        int count = consumer.partitionsFor(Topics.TRAIN_BATCHES, Duration.ofSeconds(30)).size();
        int valCount = consumer.partitionsFor(Topics.VAL_BATCHES, Duration.ofSeconds(30)).size();
        if (valCount != count) {
            LOG.errorf("train.batches has %d partitions and val.batches %d: a job's validation batches may reach another"
                    + " replica; give both topics the same count", count, valCount);
        }
        Map<String, Long> committedSteps = new HashMap<>();
        List<TopicPartition> owned = train.stream().map(p -> new TopicPartition(Topics.TRAIN_BATCHES, p)).toList();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(owned), Duration.ofSeconds(30));
        committed.values().forEach(o -> {
            if (o != null) committedSteps.putAll(CommittedSteps.parse(o.metadata()));
        });
        finetuneJobs.lead(train.contains(0));
        jobs.adopt(train, count, committedSteps);
        LOG.infof("this replica owns partitions %s of %d of the batch topics; it trains %d jobs", new TreeSet<>(train), count,
                jobs.values().size());
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Set<Integer> train = trainPartitions(partitions);
        if (!train.isEmpty()) checkpointing.handOver(consumer, train);
    }

    private static Set<Integer> trainPartitions(Collection<TopicPartition> partitions) {
        Set<Integer> out = new TreeSet<>();
        for (TopicPartition tp : partitions) if (tp.topic().equals(Topics.TRAIN_BATCHES)) out.add(tp.partition());
        return out;
    }
}
