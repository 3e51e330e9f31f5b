package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Anyone who can write to model.checkpoints can announce anything: each hostile announcement is
 * dead-lettered with its reason, loads nothing, and the service stays live, serving what it served.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class HostileAnnouncementsTest {
    private final ObjectMapper json = new ObjectMapper();

    private static CheckpointAnnouncement as(CheckpointAnnouncement a, String model, String path, Map<String, String> hashes) {
        return new CheckpointAnnouncement(a.jobId(), model, a.step(), path, hashes, a.metrics(), a.createdAtMillis());
    }

    private static Map<String, String> hashesOf(Path dir) throws Exception {
        Map<String, String> hashes = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) hashes.put(f.getFileName().toString(), CheckpointAnnouncement.sha256(f));
        }
        return hashes;
    }

    private String reasonFor(String model) {
        var dead = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS_DLQ, 1, Duration.ofSeconds(30),
                r -> model.equals(r.key()));
        return TestKafka.header(dead.getFirst().headers(), "dead-letter-reason");
    }

    @Test
    void unverifiableOrLyingAnnouncementsAreDeadLetteredAndTheServiceKeepsServing() throws Exception {
        CheckpointAnnouncement good = TestCheckpoints.write("h-good", 1, 5, false);
        TestCheckpoints.announce(good);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/h-good").then().statusCode(200));
        given().get("/v1/models/h-good").then().body("checkpoint", equalTo(Path.of(good.path()).getFileName().toString()));

        // no hashes: never served unverified
        TestCheckpoints.announce(as(good, "h-nohash", good.path(), Map.of()));
        assertTrue(reasonFor("h-nohash").contains("not announced with a hash"));

        // a correctly hashed checkpoint outside llm.inference.checkpoint-dir, directly, by "..", or through a link
        CheckpointAnnouncement outside = TestCheckpoints.write("h-out", 1, 5, false);
        Path elsewhere = Files.createTempDirectory("elsewhere-");
        try (Stream<Path> files = Files.list(Path.of(outside.path()))) {
            for (Path f : files.toList()) Files.copy(f, elsewhere.resolve(f.getFileName()));
        }
        TestCheckpoints.announce(as(outside, "h-out", elsewhere.toString(), outside.hashes()));
        assertTrue(reasonFor("h-out").contains("outside llm.inference.checkpoint-dir"));
        TestCheckpoints.announce(as(outside, "h-dots", TestCheckpoints.root().relativize(elsewhere).toString(), outside.hashes()));
        assertTrue(reasonFor("h-dots").contains("outside llm.inference.checkpoint-dir"));
        Path link = Files.createSymbolicLink(TestCheckpoints.root().resolve("link-" + System.nanoTime()), elsewhere);
        TestCheckpoints.announce(as(outside, "h-link", link.toString(), outside.hashes()));
        assertTrue(reasonFor("h-link").contains("outside llm.inference.checkpoint-dir"));

        // config.json claims a 200M-token context: its hash matches, its weights do not; refused before allocating
        CheckpointAnnouncement huge = TestCheckpoints.write("h-huge", 1, 5, false);
        Path config = Path.of(huge.path()).resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"n_positions\": 64", "\"n_positions\": 200000000"));
        TestCheckpoints.announce(as(huge, "h-huge", huge.path(), hashesOf(Path.of(huge.path()))));
        assertTrue(reasonFor("h-huge").contains("config.json implies"));

        // not an announcement at all, and a model name that is no id
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, "h-junk", "{not json".getBytes(StandardCharsets.UTF_8));
        assertTrue(!reasonFor("h-junk").isEmpty());
        TestCheckpoints.announce(as(good, "../h-name", good.path(), good.hashes()));
        assertTrue(reasonFor("../h-name").contains("model name must be"));

        // live, still serving the first model, and a later good announcement is loaded
        given().get("/q/health/live").then().statusCode(200);
        given().contentType("application/json").body(Map.of("model", "h-good", "prompt", "Hello", "max_tokens", 2))
                .post("/v1/completions").then().statusCode(200);
        TestCheckpoints.announce(TestCheckpoints.write("h-later", 1, 6, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/h-later").then().statusCode(200));
        for (String refused : List.of("h-nohash", "h-out", "h-dots", "h-link", "h-huge")) {
            given().get("/v1/models/" + refused).then().statusCode(404);
        }
    }

    /**
     * A Llama 3 checkpoint announced as the trainer announces one (every file hashed) is served, its chat through its own
     * template; announced without its tokenizer's hash, or with a swapped chat template, it is dead-lettered: the
     * vocabulary and the template are as much the model as its weights.
     */
    @Test
    void aLlamaCheckpointIsServedOnlyWithItsTokenFilesVerified() throws Exception {
        Path dir = LlamaServingTest.write(Files.createTempDirectory(TestCheckpoints.root(), "llama-"));
        Map<String, String> hashes = hashesOf(dir);
        String path = dir.toString();
        TestCheckpoints.announce(new CheckpointAnnouncement("job", "h-llama", 1, path, hashes, Map.of(), System.currentTimeMillis()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/h-llama").then().statusCode(200));
        given().contentType("application/json").body(Map.of("model", "h-llama", "max_tokens", 3, "messages", List.of(Map.of("role", "user", "content", "hi"))))
                .post("/v1/chat/completions").then().statusCode(200).body("object", equalTo("chat.completion"));

        Map<String, String> noTokenizer = new LinkedHashMap<>(hashes);
        noTokenizer.remove("tokenizer.json");
        TestCheckpoints.announce(new CheckpointAnnouncement("job", "h-llama-notok", 1, path, noTokenizer, Map.of(), System.currentTimeMillis()));
        assertTrue(reasonFor("h-llama-notok").contains("tokenizer.json is not announced with a hash"));

        Map<String, String> otherTemplate = new LinkedHashMap<>(hashes);
        otherTemplate.put("tokenizer_config.json", CheckpointAnnouncement.sha256("{}".getBytes(StandardCharsets.UTF_8)));
        TestCheckpoints.announce(new CheckpointAnnouncement("job", "h-llama-swap", 1, path, otherTemplate, Map.of(), System.currentTimeMillis()));
        assertTrue(reasonFor("h-llama-swap").contains("differs from announced"));
        given().get("/v1/models/h-llama-notok").then().statusCode(404);
        given().get("/v1/models/h-llama").then().statusCode(200);
    }
}
