package dev.llmsuite.cli;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./llm init}: a randomly initialized GPT in the Hugging Face layout. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a randomly initialized GPT (GPT-2 initialization) as config.json + model.safetensors.")
final class InitCommand implements Callable<Integer> {
    @Option(names = "--preset", required = true, description = "gpt2-124m, gpt2-medium, gpt2-large, gpt2-xl, small, tiny")
    String preset;

    @Option(names = "--out", required = true, description = "the checkpoint directory")
    Path out;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--tied", description = "share the output head with the token embedding (GPT-2's layout)")
    boolean tied;

    @Override
    public Integer call() throws Exception {
        GptConfig cfg = GptConfig.preset(preset).withTiedOutputHead(tied);
        try (CpuBackend be = CpuBackend.allCores()) {
            GptModel model = new GptModel(be, cfg);
            model.initialize(seed);
            HfCheckpoint.save(model, out);
        }
        System.out.printf("wrote %s: %s, %,d parameters%n", out, preset, cfg.parameterCount());
        return 0;
    }
}
