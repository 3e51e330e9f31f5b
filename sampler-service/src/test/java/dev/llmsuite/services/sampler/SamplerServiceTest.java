package dev.llmsuite.services.sampler;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Test profile: max_length 4, stride 4, B 2, every 3rd window to validation. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class SamplerServiceTest {

    @Test
    void chunksBecomeBatchesOfBooksWindows() {
        String kafka = KafkaBrokerResource.bootstrapServers();
        int[] ids = new int[25]; // windows at 0,4,...,20 need ids up to 24: 6 windows
        for (int i = 0; i < ids.length; i++) ids[i] = 1000 + i;
        TestKafka.send(kafka, Topics.TOKENS, "s1/d", new TokenChunk("s1", "d", 0, false, "h", java.util.Arrays.copyOf(ids, 10)).encode());
        TestKafka.send(kafka, Topics.TOKENS, "s1/d", new TokenChunk("s1", "d", 1, true, "h", java.util.Arrays.copyOfRange(ids, 10, 25)).encode());

        // windows 0,1 | 3,4 -> train (2 batches of 2); windows 2,5 -> validation (1 batch of 2)
        List<TrainingBatch> train = TestKafka.await(kafka, Topics.TRAIN_BATCHES, 2, Duration.ofSeconds(30), r -> "s1".equals(r.key()))
                .stream().map(r -> TrainingBatch.decode(r.value()))
                .sorted(Comparator.comparingLong(TrainingBatch::batchIndex)).toList();
        List<TrainingBatch> val = TestKafka.await(kafka, Topics.VAL_BATCHES, 1, Duration.ofSeconds(30), r -> "s1".equals(r.key()))
                .stream().map(r -> TrainingBatch.decode(r.value())).toList();
        assertEquals(2, train.size());
        assertEquals(1, val.size());
        assertEquals(Split.TRAIN, train.get(0).split());
        assertArrayEquals(new int[] {1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007}, train.get(0).inputs());
        assertArrayEquals(new int[] {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}, train.get(0).targets());
        assertArrayEquals(new int[] {1008, 1009, 1010, 1011, 1020, 1021, 1022, 1023}, val.get(0).inputs());
        assertArrayEquals(new int[] {1009, 1010, 1011, 1012, 1021, 1022, 1023, 1024}, val.get(0).targets());

        given().get("/q/metrics").then().statusCode(200).body(containsString("llm_sampler_windows_total"));
    }

    @Test
    void aVocabularyMismatchGoesToTheDeadLetterTopic() {
        String kafka = KafkaBrokerResource.bootstrapServers();
        TestKafka.send(kafka, Topics.TOKENS, "s2/a", new TokenChunk("s2", "a", 0, true, "vocab-A", new int[] {1, 2}).encode());
        TestKafka.send(kafka, Topics.TOKENS, "s2/b", new TokenChunk("s2", "b", 0, true, "vocab-B", new int[] {1, 2}).encode());
        var dead = TestKafka.await(kafka, Topics.TOKENS_DLQ, 1, Duration.ofSeconds(30), r -> "s2/b".equals(r.key()));
        assertEquals(1, dead.size());
        String reason = TestKafka.header(dead.get(0).headers(), "dead-letter-reason");
        assertTrue(reason.contains("vocabulary hash vocab-B does not match"), reason);
    }
}
