package dev.llmsuite.cli;

import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm serve --model DIR}: inference-service alone on one checkpoint directory, without Kafka,
 * for people who only want to serve a model. Runs until Ctrl-C.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve one model (this suite's checkpoint, a Hugging Face GPT-2, Llama 3 or Qwen3 directory, or a GGUF file) over the OpenAI-style API, without Kafka.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "a directory with config.json and model.safetensors (or pytorch_model.bin), a training job's directory (its newest step), "
            + "a Llama 3 / Qwen3 directory (with tokenizer.json), OpenAI's GPT-2 directory (hparams.json + model.ckpt) or a GGUF file "
            + "(GPT-2, Llama 3 or Qwen3; both converted once into work/converted/)")
    Path model;

    @Option(names = "--port", defaultValue = "8084", description = "HTTP port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--name", description = "the model's name in the API (default: the name of the directory given)")
    String name;

    @Option(names = "--weights", defaultValue = "fp32", description = "fp32, bf16, int8 or fp32_panels: 16- or 8-bit linear layers, or fp32 panels (faster small batches), for "
            + "decode steps (faster, a small perplexity cost; default ${DEFAULT-VALUE})")
    String weights;

    @Option(names = "--draft", description = "speculative decoding: int8 or bf16 (the model's own weights, converted) or a smaller "
            + "model's directory; a request decoding alone makes several tokens a step (greedy: the same tokens; needs --weights fp32 or fp32_panels)")
    String draft;

    @Option(names = "--lookahead", defaultValue = "8", description = "tokens the draft proposes a round (default ${DEFAULT-VALUE})")
    int lookahead;

    @Override
    public Integer call() throws Exception {
        Path root = Path.of(System.getProperty("llm.home", ".")).toAbsolutePath().normalize();
        Path given = model.toAbsolutePath().normalize();
        boolean llama = LlamaBundle.isOne(given) || Files.isDirectory(given) && LlamaBundle.isOne(HfCheckpoint.newestIn(given));
        if (llama && draft != null) throw new IllegalArgumentException("--draft serves GPT-2 models so far; " + given + " is a Llama 3 / Qwen3 model");
        Path dir = ModelFiles.detect(given) == ModelFiles.Format.HF
                ? HfCheckpoint.newestIn(given)
                : ConvertCommand.cachedHfCopy(given, root.resolve("work/converted"));
        if (!Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG)) || !HfCheckpoint.hasWeights(dir)) {
            throw new IllegalArgumentException(dir + " has no config.json with model.safetensors or pytorch_model.bin");
        }
        ServiceProcess.requireFree(port, "inference-service");
        Map<String, String> props = new LinkedHashMap<>();
        props.put("llm.inference.model-dir", dir.toString());
        String served = name != null ? name : given.getFileName().toString().replaceFirst("\\.gguf$", "");
        props.put("llm.inference.model-name", served);
        props.put("llm.inference.weights", ServingWeights.parse(weights).label());
        if (draft != null) {
            String spec = draft.equals("int8") || draft.equals("bf16") ? draft : Path.of(draft).toAbsolutePath().normalize().toString();
            props.put("llm.inference.drafts.\"" + served + "\"", spec);
            props.put("llm.inference.lookahead", Integer.toString(lookahead));
        }
        props.put("mp.messaging.incoming.checkpoints.enabled", "false");
        props.put("llm.kafka.check-on-start", "false");
        props.put("quarkus.smallrye-health.check.\"io.quarkus.kafka.client.health.KafkaHealthCheck\".enabled", "false");
        ServiceProcess p = ServiceProcess.start(root, "inference-service", port, "2g", props, root.resolve("work/logs"));
        Runtime.getRuntime().addShutdownHook(new Thread(p::stop));
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (Http.get(p.url("/v1/models/" + served)).status() != 200) {
            if (!p.isAlive()) throw new IllegalStateException("inference-service exited; see " + p.log);
            if (System.nanoTime() > deadline) throw new IllegalStateException("the model did not load within 120 s; see " + p.log);
            LocalSuite.sleep(250);
        }
        System.out.println("serving '" + served + "' on http://127.0.0.1:" + port + "/v1 (OpenAI-style: /models, /completions, "
                + "/chat/completions); log " + p.log + "; Ctrl-C stops");
        while (p.isAlive()) LocalSuite.sleep(500);
        return 0;
    }
}
