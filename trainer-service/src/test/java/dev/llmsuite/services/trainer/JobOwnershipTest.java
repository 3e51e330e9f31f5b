package dev.llmsuite.services.trainer;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Job ownership through the consumer group: the batch topics have two partitions, and a second member of the
 * group "trainer-service" (a plain consumer standing in for another replica) joins and leaves.
 */
@QuarkusTest
@WithTestResource(value = KafkaBrokerResource.class,
        initArgs = @ResourceArg(name = "partitions", value = "train.batches:2,val.batches:2"))
class JobOwnershipTest {
    private final ObjectMapper json = new ObjectMapper();

    private static TrainingBatch batch(String dataset, long index) {
        int[] ids = new int[8];
        Arrays.fill(ids, 11 + (int) index);
        return new TrainingBatch(dataset, Split.TRAIN, 0, index, "vocab", 1, 2, 4, ids, ids);
    }

    private static String datasetOn(int partition) {
        for (int i = 0; ; i++) if (DatasetPartition.of("owned-" + i, 2) == partition) return "owned-" + i;
    }

    private static void send(String dataset, long from, long to) {
        for (long i = from; i < to; i++) {
            TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.TRAIN_BATCHES, dataset, batch(dataset, i).encode());
        }
    }

    private List<Long> announcedSteps(String job) {
        return TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, 100, Duration.ofSeconds(3),
                        r -> job.equals(r.key())).stream()
                .map(r -> {
                    try {
                        return json.readValue(r.value(), CheckpointAnnouncement.class).step();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).sorted().toList();
    }

    @Test
    void aReplicaThatJoinsTakesAPartitionAndItsJobMovesAtItsCommittedCheckpointAnnouncedNoMoreByTheOldOwner() {
        String[] datasets = {datasetOn(0), datasetOn(1)};
        for (String d : datasets) send(d, 0, 4);
        for (String d : datasets) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/v1/jobs/" + d).then().body("step", equalTo(4)));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> announcedSteps(datasets[0]).contains(4L) && announcedSteps(datasets[1]).contains(4L));

        List<Collection<TopicPartition>> assignments = new ArrayList<>();
        Map<String, Object> config = Map.of("bootstrap.servers", KafkaBrokerResource.bootstrapServers(),
                "group.id", "trainer-service", "enable.auto.commit", "false", "session.timeout.ms", 10000,
                "partition.assignment.strategy", RangeAssignor.class.getName(), "client.id", "second-replica-" + UUID.randomUUID());
        String moved, kept;
        TopicPartition movedPartition;
        try (var second = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            second.subscribe(List.of(Topics.TRAIN_BATCHES, Topics.VAL_BATCHES), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) { }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    assignments.add(List.copyOf(partitions));
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while ((assignments.isEmpty() || assignments.getLast().isEmpty()) && System.nanoTime() < deadline) {
                second.poll(Duration.ofMillis(200));
            }
            movedPartition = assignments.getLast().stream().filter(tp -> tp.topic().equals(Topics.TRAIN_BATCHES)).findFirst()
                    .orElseThrow(() -> new AssertionError("the second member got no partition of train.batches: " + assignments));
            assertTrue(assignments.getLast().contains(new TopicPartition(Topics.VAL_BATCHES, movedPartition.partition())),
                    "the range assignor gives both topics' partition to the same member: " + assignments.getLast());
            moved = datasets[movedPartition.partition()];
            kept = datasets[1 - movedPartition.partition()];

            // The job on the partition that went left this replica; the other stayed.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/jobs/" + moved).then().statusCode(404));
            given().get("/v1/jobs/" + kept).then().statusCode(200).body("step", equalTo(4));
            // A job for the moved dataset goes to its owner; this one cannot say where that answers (no trainer=URL client id).
            given().contentType("application/json").body(Map.of("id", "posted-" + moved, "dataset", moved)).post("/v1/jobs")
                    .then().statusCode(503).body("detail", containsString("does not say where it answers"));
            // Fine-tuning runs on the owner of partition 0: here while it kept partition 0, else asked of the other member.
            if (movedPartition.partition() == 0) {
                given().get("/v1/finetune-jobs").then().statusCode(503).body("detail", containsString("does not say where it answers"));
            } else {
                given().get("/v1/finetune-jobs").then().statusCode(200);
            }
            // Its handover commit names the checkpoint the next owner resumes from, at the offset after batch 3.
            OffsetAndMetadata committed = second.committed(Set.of(movedPartition)).get(movedPartition);
            assertEquals(4, committed.offset());
            assertEquals(Map.of(moved, 4L), CommittedSteps.parse(committed.metadata()));

            // A batch of the moved dataset is the second member's now: not trained here, and nothing more announced.
            send(moved, 4, 6);
            send(kept, 4, 6);
            await().atMost(Duration.ofSeconds(60)).until(() -> announcedSteps(kept).contains(6L));
            assertEquals(List.of(2L, 4L), announcedSteps(moved), "the old owner announces no checkpoint of a job it gave up");
            second.poll(Duration.ofMillis(100)); // still a member
        }
        // The second member leaves without training: the job comes back from step 4 and trains the batches it missed.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/v1/jobs/" + moved).then().statusCode(200)
                .body("step", equalTo(6)));
        given().get("/v1/jobs/" + kept).then().body("step", equalTo(6));
    }
}
