package dev.llmsuite.services.tokenizer;

import dev.llmsuite.records.DocumentRecord;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TokenizerServiceTest {

    @Test
    void aPostedDocumentBecomesTokenChunksOnKafka() {
        String text = "Hello, wiring! ünïcödé";
        given().contentType("application/json")
                .body("{\"id\":\"doc-1\",\"text\":\"" + text + "\"}")
                .when().post("/v1/datasets/wiring/documents")
                .then().statusCode(202).body("bytes", equalTo(text.getBytes(StandardCharsets.UTF_8).length));

        var records = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.TOKENS, 1, Duration.ofSeconds(30),
                r -> "wiring".equals(r.key()) && "doc-1".equals(TokenChunk.decode(r.value()).documentId()));
        assertEquals(1, records.size(), "one chunk for a short document");
        TokenChunk chunk = TokenChunk.decode(records.get(0).value());
        assertTrue(chunk.last());
        assertEquals(Encodings.gpt2().hash(), chunk.vocabularyHash());
        int[] ids = new BpeTokenizer(Encodings.gpt2()).encode(text);
        int[] expected = Arrays.copyOf(ids, ids.length + 1);
        expected[ids.length] = 50256;
        assertArrayEquals(expected, chunk.ids(), "GPT-2 ids, then <|endoftext|>");

        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("llm_tokenizer_documents_total{outcome=\"tokenized\"}"));
    }

    @Test
    void plainTextAndJsonFromAnyProducerAreTokenizedAsThePostedDocumentIs() {
        String kafka = KafkaBrokerResource.bootstrapServers();
        String text = "Any producer: kcat, a console, a connector.";
        TestKafka.send(kafka, Topics.DOCUMENTS, "shapes/plain-1", text.getBytes(StandardCharsets.UTF_8));
        TestKafka.send(kafka, Topics.DOCUMENTS, null, ("{\"id\": \"json-1\", \"text\": \"" + text + "\"}").getBytes(StandardCharsets.UTF_8),
                Map.of("content-type", "application/json", "llm-dataset", "shapes"));
        int[] ids = new BpeTokenizer(Encodings.gpt2()).encode(text);
        int[] expected = Arrays.copyOf(ids, ids.length + 1);
        expected[ids.length] = 50256;
        for (String doc : new String[] {"plain-1", "json-1"}) {
            var chunks = TestKafka.await(kafka, Topics.TOKENS, 1, Duration.ofSeconds(30),
                    r -> "shapes".equals(r.key()) && doc.equals(TokenChunk.decode(r.value()).documentId()));
            assertEquals(1, chunks.size(), doc);
            assertArrayEquals(expected, TokenChunk.decode(chunks.get(0).value()).ids(), doc + ": GPT-2 ids, then <|endoftext|>");
        }
        TestKafka.send(kafka, Topics.DOCUMENTS, "shapes/xml", "<doc/>".getBytes(StandardCharsets.UTF_8), Map.of("content-type", "application/xml"));
        var dead = TestKafka.await(kafka, Topics.DOCUMENTS_DLQ, 1, Duration.ofSeconds(30), r -> "shapes/xml".equals(r.key()));
        assertEquals(1, dead.size());
        assertTrue(TestKafka.header(dead.get(0).headers(), "dead-letter-reason").contains("'application/xml' is not one of"));
    }

    @Test
    void aDocumentInPartsIsJoinedAndOneWhosePartsStopIsDeadLettered() {
        String kafka = KafkaBrokerResource.bootstrapServers();
        String[] pieces = {"A document too big for one record ", "comes in parts, ", "joined before it is tokenized."};
        for (int i = 0; i < pieces.length; i++) {
            TestKafka.send(kafka, Topics.DOCUMENTS, "parts/whole", pieces[i].getBytes(StandardCharsets.UTF_8),
                    Map.of("llm-part", String.valueOf(i), "llm-last-part", String.valueOf(i == pieces.length - 1)));
        }
        var chunks = TestKafka.await(kafka, Topics.TOKENS, 1, Duration.ofSeconds(30),
                r -> "parts".equals(r.key()) && "whole".equals(TokenChunk.decode(r.value()).documentId()));
        assertEquals(1, chunks.size());
        int[] ids = new BpeTokenizer(Encodings.gpt2()).encode(String.join("", pieces));
        int[] expected = Arrays.copyOf(ids, ids.length + 1);
        expected[ids.length] = 50256;
        assertArrayEquals(expected, TokenChunk.decode(chunks.get(0).value()).ids(), "the joined text's ids: parts do not split tokens");

        TestKafka.send(kafka, Topics.DOCUMENTS, "parts/stalled", "only the first part".getBytes(StandardCharsets.UTF_8), Map.of("llm-part", "0"));
        var dead = TestKafka.await(kafka, Topics.DOCUMENTS_DLQ, 1, Duration.ofSeconds(30), r -> "parts/stalled".equals(r.key()));
        assertEquals(1, dead.size(), "after llm.tokenizer.part-timeout (3s in tests) its parts are dead letters");
        assertTrue(TestKafka.header(dead.get(0).headers(), "dead-letter-reason").contains("incomplete"));
    }

    @Test
    void invalidUtf8OnKafkaGoesToTheDeadLetterTopicWithItsReason() {
        byte[] bad = {'o', 'k', (byte) 0xFF, (byte) 0xFE};
        DocumentRecord doc = new DocumentRecord("wiring", "bad-utf8", "gpt2", bad);
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS, doc.key(), doc.encode());
        var dead = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS_DLQ, 1, Duration.ofSeconds(30),
                r -> "wiring/bad-utf8".equals(r.key()));
        assertEquals(1, dead.size());
        String reason = TestKafka.header(dead.get(0).headers(), "dead-letter-reason");
        assertTrue(reason != null && reason.contains("not valid UTF-8"), "reason: " + reason);
        assertArrayEquals(doc.encode(), dead.get(0).value(), "the record is kept whole");
    }

    @Test
    void anUnknownEncodingOnKafkaGoesToTheDeadLetterTopic() {
        DocumentRecord doc = new DocumentRecord("wiring", "klingon", "klingon-bpe", "qapla'".getBytes(StandardCharsets.UTF_8));
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS, doc.key(), doc.encode());
        var dead = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS_DLQ, 1, Duration.ofSeconds(30),
                r -> "wiring/klingon".equals(r.key()));
        assertEquals(1, dead.size());
        assertTrue(TestKafka.header(dead.get(0).headers(), "dead-letter-reason").contains("unknown encoding 'klingon-bpe'"));
    }

    @Test
    void idsTheHttpIntakeRefusesAreDeadLetteredFromKafkaToo() {
        String longName = "d".repeat(129);
        for (String[] ids : new String[][] {{longName, "doc"}, {"..", "doc"}, {"wiring", "../escape"}}) {
            DocumentRecord doc = new DocumentRecord(ids[0], ids[1], "gpt2", "text".getBytes(StandardCharsets.UTF_8));
            TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS, doc.key(), doc.encode());
            var dead = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS_DLQ, 1, Duration.ofSeconds(30),
                    r -> doc.key().equals(r.key()));
            assertTrue(TestKafka.header(dead.get(0).headers(), "dead-letter-reason").contains("must be 1-128 of"), doc.key());
        }
    }

    @Test
    void aTruncatedRecordGoesToTheDeadLetterTopic() {
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS, "wiring/truncated", new byte[] {'L', 'M', 1});
        var dead = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.DOCUMENTS_DLQ, 1, Duration.ofSeconds(30),
                r -> "wiring/truncated".equals(r.key()));
        assertEquals(1, dead.size());
        assertTrue(TestKafka.header(dead.get(0).headers(), "dead-letter-reason").contains("truncated"));
    }

    @Test
    void badRequestsGetProblemBodies() {
        given().contentType("application/json").body("{\"id\":\"x\"}")
                .post("/v1/datasets/wiring/documents")
                .then().statusCode(400).contentType("application/problem+json")
                .body("status", equalTo(400)).body("detail", containsString("'text' is required"));
        given().contentType("application/json").body("{\"id\":\"../etc\",\"text\":\"t\"}")
                .post("/v1/datasets/wiring/documents")
                .then().statusCode(400).body("detail", containsString("'id' must be 1-128 of"));
        given().contentType("application/json").body("{\"id\": \"x\", \"text\": ")
                .post("/v1/datasets/wiring/documents")
                .then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("malformed JSON"));
        given().contentType("application/json").body("{\"id\": \"x\", \"text\": [1]}")
                .post("/v1/datasets/wiring/documents")
                .then().statusCode(400).contentType("application/problem+json");
        given().contentType("application/json").body("{\"id\":\"x\",\"text\":\"t\",\"encoding\":\"nope\"}")
                .post("/v1/datasets/wiring/documents")
                .then().statusCode(400).body("detail", containsString("unknown encoding 'nope'"));
        given().contentType("application/json").body("{\"id\":\"x\",\"text\":\"t\"}")
                .get("/v1/datasets/wiring/documents")
                .then().statusCode(405).contentType("application/problem+json");
    }

    @Test
    void aDocumentOverTheLimitIs413() {
        String big = "a".repeat(8 * 1024 * 1024 + 1);
        given().contentType("application/json").body("{\"id\":\"big\",\"text\":\"" + big + "\"}")
                .post("/v1/datasets/wiring/documents")
                .then().statusCode(413).contentType("application/problem+json")
                .body("detail", containsString("the limit is 8388608"));
    }

    @Test
    void healthIncludesKafkaAndOpenApiIsServed() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body(containsString("Kafka"));
        given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/datasets/{dataset}/documents"));
    }
}
