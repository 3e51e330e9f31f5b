package dev.llmsuite.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llmsuite.cli.LocalSuite;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Any producer can feed the suite: plain text from Kafka's own console producer and from a Kafka Connect worker
 * (the file source connector, the dataset in a header set by the InsertHeader transform) is tokenized, sampled,
 * trained and served as a document posted over HTTP is. Both tools run in child JVMs, as an operator runs them.
 */
class FeedFromKafkaIT {
    static LocalSuite suite;
    static Path work;

    @BeforeAll
    static void startSuite() throws IOException {
        Path root = Path.of(System.getProperty("suite.root", "..")).toAbsolutePath().normalize();
        work = root.resolve("e2e-tests/target/e2e-work-" + UUID.randomUUID());
        suite = PipelineIT.smallSuite(root, work, "[feed] ");
    }

    @AfterAll
    static void stopSuite() {
        if (suite != null) suite.close();
    }

    @Test
    void aLineFromTheConsoleProducerTrainsLikeAnHttpDocument() throws Exception {
        String text = "A line typed into kafka-console-producer is a document like any other. ".repeat(6).strip();
        Process producer = kafkaTool("console-producer.log", "org.apache.kafka.tools.ConsoleProducer",
                "--bootstrap-server", suite.bootstrapServers(), "--topic", Topics.DOCUMENTS,
                "--property", "parse.key=true", "--property", "key.separator=|");
        try (OutputStream in = producer.getOutputStream()) {
            in.write(("console/line-1|" + text + "\n").getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(0, producer.waitFor(), "the console producer exits cleanly at the end of its input");

        TokenChunk chunk = TokenChunk.decode(read(Topics.TOKENS, "console", 1).getFirst().value());
        assertEquals("line-1", chunk.documentId(), "the key 'dataset/document' names it");
        int[] ids = chunk.ids();
        assertEquals(Encodings.GPT2_END_OF_TEXT, ids[ids.length - 1], "ends with <|endoftext|>, as an HTTP document does");
        assertEquals(text, new BpeTokenizer(Encodings.gpt2()).decode(Arrays.copyOf(ids, ids.length - 1)), "GPT-2 ids of the line");
        servedAs("console");
    }

    @Test
    void aFileReadByKafkaConnectTrainsAndIsServed() throws Exception {
        Path corpus = work.resolve("connect-corpus.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) lines.add("Line " + i + " of a file that a Kafka Connect source connector reads into the suite.");
        Files.write(corpus, lines);
        Path worker = work.resolve("connect-worker.properties"), connector = work.resolve("connect-file-source.properties");
        Files.writeString(worker, String.join("\n",
                "bootstrap.servers=" + suite.bootstrapServers(),
                "key.converter=org.apache.kafka.connect.storage.StringConverter",
                "value.converter=org.apache.kafka.connect.storage.StringConverter",
                "offset.storage.file.filename=" + work.resolve("connect.offsets"),
                "offset.flush.interval.ms=1000",
                "listeners=http://127.0.0.1:" + PipelineIT.freePortRun(1)) + "\n");
        Files.writeString(connector, String.join("\n",
                "name=corpus-file",
                "connector.class=org.apache.kafka.connect.file.FileStreamSourceConnector",
                "tasks.max=1",
                "file=" + corpus,
                "topic=" + Topics.DOCUMENTS,
                "transforms=dataset,plain",
                "transforms.dataset.type=org.apache.kafka.connect.transforms.InsertHeader",
                "transforms.dataset.header=llm-dataset",
                "transforms.dataset.value.literal=connect",
                "transforms.plain.type=org.apache.kafka.connect.transforms.InsertHeader",
                "transforms.plain.header=content-type",
                "transforms.plain.value.literal=text/plain") + "\n");
        Process connect = kafkaTool("connect.log", "org.apache.kafka.connect.cli.ConnectStandalone", worker.toString(), connector.toString());
        try {
            // each line is a document named by its place on the topic; together they train dataset "connect"
            List<ConsumerRecord<String, byte[]>> chunks = read(Topics.TOKENS, "connect", lines.size());
            BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
            List<String> texts = chunks.stream().map(r -> TokenChunk.decode(r.value()))
                    .map(c -> gpt2.decode(Arrays.copyOf(c.ids(), c.ids().length - 1))).sorted().toList();
            assertEquals(lines.stream().sorted().toList(), texts, "every line, once, as its own document");
            servedAs("connect");
        } finally {
            connect.destroy();
            connect.waitFor();
        }
    }

    /** A Kafka tool's main class in a child JVM on this test's class path, its output in the work folder. */
    private static Process kafkaTool(String log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve(log).toFile()).start();
    }

    /** The dataset trained (an auto-job) and inference-service serves its checkpoint, as for an HTTP document. */
    private static void servedAs(String dataset) {
        read(Topics.CHECKPOINTS, dataset, 1);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().baseUri(suite.url("inference-service", "")).get("/v1/models/" + dataset)
                        .then().statusCode(200).body("id", equalTo(dataset)));
    }

    private static List<ConsumerRecord<String, byte[]>> read(String topic, String key, int atLeast) {
        return KafkaReads.read(suite.bootstrapServers(), topic, key, atLeast, Duration.ofSeconds(90));
    }
}
