import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.kafka.EmbeddedKafka;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The smoke test of a native executable (native-check.sh): it starts against the embedded broker, answers
 * /q/health/ready, and does one real piece of its service's work correctly; then the figures docs/benchmarks.md
 * keeps: time to ready, resident memory idle and after the work, and the service's own rate.
 * Usage: java -cp tools/llm-cli/target/llm-cli.jar NativeSmoke.java SERVICE EXECUTABLE ROOT (EXECUTABLE may be a
 * script that runs the service's JVM jar: the same test gives the JVM's figures).
 */
public class NativeSmoke {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String DATASET = "smoke";

    /** What a service is started with, the one real piece of work it must do, and the rate it is measured at. */
    interface Exercise {
        default List<String> options(Path root, Path work) { return List.of(); }

        /** Does the work once and checks the answer; returns what the service answered. */
        String once(HttpClient http, String base, String kafka) throws Exception;

        /** The service's rate, as "name=value" for the figures line. */
        String rate(HttpClient http, String base, String kafka) throws Exception;
    }

    /** One request, checked, then {@code count} more in a row: the rate is {@code perRequest} units a request. */
    record Repeated(String path, String body, String expect, int count, String unit, int perRequest, List<String> startOptions)
            implements Exercise {
        public List<String> options(Path root, Path work) { return startOptions; }

        public String once(HttpClient http, String base, String kafka) throws Exception {
            return NativeSmoke.expect(post(http, base + path, body), expect);
        }

        public String rate(HttpClient http, String base, String kafka) throws Exception {
            long t = System.nanoTime();
            for (int i = 0; i < count; i++) post(http, base + path, body);
            return String.format("%s_per_s=%.0f", unit, (double) count * perRequest / seconds(t));
        }
    }

    /**
     * tokenize "Hello, world" (tiktoken's gpt2 gives 15496, 11, 995), then 1,000 more; and the same text as a JSON
     * document on corpus.documents (the shape a plain producer sends) must come out as those ids and end-of-text.
     */
    static Exercise tokenize() {
        Repeated http = new Repeated("/v1/tokenize", "{\"text\": \"Hello, world\"}", "\"ids\":[15496,11,995]", 1000, "requests", 1, List.of());
        return new Exercise() {
            public String once(HttpClient client, String base, String kafka) throws Exception {
                return http.once(client, base, kafka) + "; from Kafka: " + jsonDocumentTokenized(kafka);
            }

            public String rate(HttpClient client, String base, String kafka) throws Exception {
                return http.rate(client, base, kafka);
            }
        };
    }

    static String jsonDocumentTokenized(String kafka) throws Exception {
        try (var producer = producer(kafka)) {
            var record = new ProducerRecord<String, byte[]>(Topics.DOCUMENTS, null,
                    "{\"dataset\": \"smoke\", \"id\": \"json-1\", \"text\": \"Hello, world\"}".getBytes(StandardCharsets.UTF_8));
            record.headers().add("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
            producer.send(record).get();
        }
        Properties p = new Properties();
        p.putAll(Map.of("bootstrap.servers", kafka, "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", ByteArrayDeserializer.class.getName(), "group.id", "native-smoke-tokens", "auto.offset.reset", "earliest"));
        try (var consumer = new KafkaConsumer<String, byte[]>(p)) {
            consumer.subscribe(List.of(Topics.TOKENS));
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TokenChunk chunk = TokenChunk.decode(r.value());
                    if (!chunk.documentId().equals("json-1")) continue;
                    if (!Arrays.equals(chunk.ids(), new int[] {15496, 11, 995, 50256})) {
                        throw new IllegalStateException("the JSON document became " + Arrays.toString(chunk.ids()));
                    }
                    return Arrays.toString(chunk.ids());
                }
            }
        }
        throw new IllegalStateException("the JSON document on corpus.documents was not tokenized within 30 s");
    }

    /**
     * Eight greedy tokens from the smoke model (small, random, GPT-2 vocabulary: native-check.sh writes it); the
     * text is printed so that the JVM's can be set beside it. The rate: 100 such completions, one after another.
     */
    static Exercise complete(Path root) {
        return new Repeated("/v1/completions", "{\"model\": \"smoke\", \"prompt\": \"Hello, world\", \"max_tokens\": 8, \"temperature\": 0}",
                "\"completion_tokens\":8", 100, "decoded_tokens", 8,
                List.of("-Dllm.inference.model-dir=" + root.resolve("work/native-check/smoke-model"), "-Dllm.inference.model-name=smoke"));
    }

    /**
     * A sampling spec posted, then one document of 20,000 token ids as 10 chunks on corpus.tokens: with windows of
     * 64 and batches of 4 that is 312 windows, so 70 training batches (dropLast) must come out on train.batches.
     */
    static final class Sample implements Exercise {
        static final int IDS = 20_000, CHUNKS = 10, EXPECTED_TRAIN_BATCHES = 70;
        double seconds;

        public String once(HttpClient http, String base, String kafka) throws Exception {
            String spec = "{\"maxLength\": 64, \"stride\": 64, \"batchSize\": 4, \"trainFraction\": 0.9, \"dedup\": false}";
            String answer = post(http, base + "/v1/datasets/" + DATASET + "/sampling", spec);
            int[] ids = new Random(7).ints(IDS, 0, 50_000).toArray();
            long t = System.nanoTime();
            try (var producer = producer(kafka)) {
                int per = IDS / CHUNKS;
                for (int c = 0; c < CHUNKS; c++) {
                    int[] part = Arrays.copyOfRange(ids, c * per, (c + 1) * per);
                    var chunk = new TokenChunk(DATASET, "doc-1", c, c == CHUNKS - 1, "smoke-vocab", part);
                    producer.send(new ProducerRecord<>(Topics.TOKENS, chunk.key(), chunk.encode())).get();
                }
            }
            int batches = countTrainBatches(kafka, EXPECTED_TRAIN_BATCHES, Duration.ofSeconds(60));
            seconds = seconds(t);
            if (batches != EXPECTED_TRAIN_BATCHES) {
                throw new IllegalStateException(batches + " training batches came out, " + EXPECTED_TRAIN_BATCHES + " expected");
            }
            return answer + " then " + batches + " training batches";
        }

        public String rate(HttpClient http, String base, String kafka) {
            return String.format("sampled_tokens_per_s=%.0f (one document, transaction commits included)", IDS / seconds);
        }
    }

    /**
     * A job posted (GPT-2's vocabulary, 2 layers of 128), then 6 batches of 4 x 64 random ids: it must step 6 times,
     * its loss must be finite, and it must complete. The rate is the job's own tokens per second.
     */
    static final class Train implements Exercise {
        static final int STEPS = 6, B = 4, T = 64;
        JsonNode status;

        public List<String> options(Path root, Path work) {
            return List.of("-Dllm.trainer.checkpoint-dir=" + work.resolve("trainer-checkpoints"));
        }

        public String once(HttpClient http, String base, String kafka) throws Exception {
            String job = "{\"id\": \"" + DATASET + "\", \"dataset\": \"" + DATASET + "\", \"preset\": \"small\", \"layers\": 2, \"embeddingDim\": 128, \"heads\": 4, \"contextLength\": 128, \"maxSteps\": " + STEPS
                    + ", \"checkpointEvery\": " + STEPS + ", \"evalEvery\": 1000}";
            post(http, base + "/v1/jobs", job);
            Random random = new Random(11);
            try (var producer = producer(kafka)) {
                for (int i = 0; i < STEPS; i++) {
                    int[] inputs = random.ints(B * T, 0, 50_000).toArray();
                    int[] targets = random.ints(B * T, 0, 50_000).toArray();
                    var batch = new TrainingBatch(DATASET, Split.TRAIN, 0, i, "smoke-vocab", 1, B, T, inputs, targets);
                    producer.send(new ProducerRecord<>(Topics.TRAIN_BATCHES, batch.key(), batch.encode())).get();
                }
            }
            long t = System.nanoTime();
            do {
                if (seconds(t) > 300) throw new IllegalStateException("the job did not complete in 300 s: " + status);
                Thread.sleep(200);
                status = JSON.readTree(get(http, base + "/v1/jobs/" + DATASET));
            } while (!status.path("state").asText().equals("completed") && !status.path("state").asText().equals("failed"));
            if (!status.path("state").asText().equals("completed") || status.path("step").asLong() != STEPS
                    || !Double.isFinite(status.path("loss").asDouble(Double.NaN))) {
                throw new IllegalStateException("the job did not train as expected: " + status);
            }
            return "state=completed step=" + status.path("step") + " loss=" + status.path("loss");
        }

        public String rate(HttpClient http, String base, String kafka) {
            return String.format("trained_tokens_per_s=%.0f (the job's own figure)", status.path("tokensPerSecond").asDouble());
        }
    }

    static Exercise exerciseFor(String service, Path root) {
        return switch (service) {
            case "tokenizer-service" -> tokenize();
            case "inference-service" -> complete(root);
            case "sampler-service" -> new Sample();
            case "trainer-service" -> new Train();
            default -> throw new IllegalArgumentException("no smoke exercise for " + service);
        };
    }

    public static void main(String[] args) throws Exception {
        String service = args[0];
        Path executable = Path.of(args[1]);
        Path root = Path.of(args[2]);
        Exercise exercise = exerciseFor(service, root);
        HttpClient http = HttpClient.newHttpClient();
        Path work = Files.createTempDirectory(executable.toAbsolutePath().getParent(), "smoke-");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Options.defaults().withTopics(Topics.ALL))) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path log = executable.resolveSibling(service + "-smoke.log");
            List<String> command = new ArrayList<>(List.of(executable.toString(), "-Dkafka.bootstrap.servers=" + kafka.bootstrapServers(),
                    "-Dquarkus.http.port=" + port));
            command.addAll(exercise.options(root, work));
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                String base = "http://127.0.0.1:" + port;
                while (status(http, base + "/q/health/ready") != 200) {
                    if (!p.isAlive()) throw new IllegalStateException(service + " exited: " + Files.readString(log));
                    if (seconds(t0) > 60) throw new IllegalStateException("not ready in 60 s");
                    Thread.sleep(5);
                }
                double ready = seconds(t0);
                long idle = rssKiB(p.pid());
                System.out.println("answer: " + exercise.once(http, base, kafka.bootstrapServers()));
                String rate = exercise.rate(http, base, kafka.bootstrapServers());
                System.out.printf("service=%s ready_s=%.3f rss_idle_mib=%d rss_after_work_mib=%d %s smoke=passed%n",
                        service, ready, idle / 1024, rssKiB(p.pid()) / 1024, rate);
            } finally {
                p.destroy();
                p.waitFor();
            }
        }
    }

    static String expect(String answer, String part) {
        if (!answer.replace(" ", "").contains(part)) throw new IllegalStateException("expected " + part + " in the answer: " + answer);
        return answer;
    }

    static double seconds(long since) { return (System.nanoTime() - since) / 1e9; }

    static KafkaProducer<String, byte[]> producer(String kafka) {
        Properties p = new Properties();
        p.putAll(Map.of("bootstrap.servers", kafka, "key.serializer", StringSerializer.class.getName(),
                "value.serializer", ByteArraySerializer.class.getName(), "max.request.size", "8388608"));
        return new KafkaProducer<>(p);
    }

    /** Training batches of the smoke dataset on train.batches (read committed), until {@code expected} or the deadline. */
    static int countTrainBatches(String kafka, int expected, Duration deadline) {
        Properties p = new Properties();
        p.putAll(Map.of("bootstrap.servers", kafka, "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", ByteArrayDeserializer.class.getName(), "group.id", "native-smoke",
                "auto.offset.reset", "earliest", "isolation.level", "read_committed"));
        int seen = 0;
        long end = System.nanoTime() + deadline.toNanos();
        try (var consumer = new KafkaConsumer<String, byte[]>(p)) {
            consumer.subscribe(List.of(Topics.TRAIN_BATCHES));
            while (seen < expected && System.nanoTime() < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (DATASET.equals(r.key())) seen++;
                }
            }
        }
        return seen;
    }

    static int status(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static String get(HttpClient http, String url) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    static String post(HttpClient http, String url, String json) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        return -1;
    }
}
