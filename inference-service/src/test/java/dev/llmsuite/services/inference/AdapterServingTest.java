package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.io.AdapterFiles;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** "model": "BASE+ADAPTER": LoRA adapters from llm.inference.adapter-dir, several on one loaded base. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class AdapterServingTest {
    private static final String PROMPT = "Every effort moves you";
    private static final BpeTokenizer GPT2 = new BpeTokenizer(Encodings.gpt2());

    /** Strong random adapters on every target, so each visibly changes what the base says. */
    private static LoraAdapters adapter(CpuBackend be, long seed) {
        LoraAdapters lora = new LoraAdapters(be, TestCheckpoints.CFG,
                new LoraAdapters.Settings(4, 8, EnumSet.allOf(LoraAdapters.Target.class), Set.of()));
        Random r = new Random(seed);
        float[] v = new float[(int) lora.parameterCount()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.5);
        be.write(lora.parameters(), 0, v, 0, v.length);
        return lora;
    }

    /** What the engine says, greedy, for the base with (or without) an adapter. */
    private static String engine(GptModel m, LoraAdapters lora) {
        m.attach(lora);
        int[] ids = new Generator(m).generate(GPT2.encode(PROMPT), new SamplingParams(8, 0, 0, 1, 0, Set.of(50256)), null);
        return GPT2.decode(ids);
    }

    private static String complete(String model) {
        return given().contentType("application/json")
                .body(Map.of("model", model, "prompt", PROMPT, "max_tokens", 8, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).body("model", equalTo(model))
                .extract().path("choices[0].text");
    }

    @Test
    void eachAdapterAnswersAsTheEngineDoesWithItAndTheBaseStaysItself() throws Exception {
        Path adapters = ConfigProvider.getConfig().getValue("llm.inference.adapter-dir", Path.class);
        String wantBase, wantA, wantB;
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel base = new GptModel(be, TestCheckpoints.CFG);
            base.initialize(31);
            LoraAdapters a = adapter(be, 1), b = adapter(be, 2);
            AdapterFiles.save(a, base, adapters.resolve("alpha"));
            AdapterFiles.save(b, base, adapters.resolve("beta"));
            wantA = engine(base, a);
            wantB = engine(base, b);
            wantBase = engine(base, null);
            GptModel other = new GptModel(be, TestCheckpoints.CFG);
            other.initialize(32);
            AdapterFiles.save(adapter(be, 3), other, adapters.resolve("for-other-weights"));
        }
        assertNotEquals(wantA, wantB, "the adapters differ enough to tell apart");
        TestCheckpoints.announce(TestCheckpoints.write("lorabase", 1, 31, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/lorabase").then().statusCode(200));

        assertEquals(wantA, complete("lorabase+alpha"));
        assertEquals(wantB, complete("lorabase+beta"));
        assertEquals(wantBase, complete("lorabase"), "the shared base is untouched by its adapters");
        assertEquals(wantA, complete("lorabase+alpha"), "a view is reused");
        given().get("/v1/models").then().statusCode(200).body("data.id", hasItem("lorabase+beta"));

        given().contentType("application/json").body(Map.of("model", "lorabase+missing", "prompt", PROMPT))
                .post("/v1/completions").then().statusCode(404).body("detail", containsString("no adapter 'missing'"));
        given().contentType("application/json").body(Map.of("model", "lorabase+for-other-weights", "prompt", PROMPT))
                .post("/v1/completions").then().statusCode(409).body("detail", containsString("made for base weights"));
        given().contentType("application/json").body(Map.of("model", "lorabase+../etc", "prompt", PROMPT))
                .post("/v1/completions").then().statusCode(400);
        given().contentType("application/json").body(Map.of("model", "nobase+alpha", "prompt", PROMPT))
                .post("/v1/completions").then().statusCode(404);
    }
}
