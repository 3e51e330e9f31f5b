package dev.llmsuite.engine;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Training gives the same bits however the JVM runs the kernels: this JVM (C2 compiles them after a few
 * steps) and a fresh one limited to C1 (the Vector API's Java fallbacks, as in a just-started or resumed
 * job) compute the same losses and the same parameters, step for step.
 */
class ReproducibleTrainingTest {

    /** The losses' bits, then a hash of the parameters' bits, after `steps` AdamW steps of the tiny model. */
    static List<String> train(int steps) {
        List<String> out = new ArrayList<>();
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            m.initialize(1);
            AdamW opt = new AdamW(m, AdamW.Settings.book());
            Random r = new Random(0);
            int b = 2, t = GptConfig.TINY.contextLength();
            int[] x = GptModelGradientTest.randomIds(r, b * t, GptConfig.TINY.vocabSize());
            int[] y = GptModelGradientTest.randomIds(r, b * t, GptConfig.TINY.vocabSize());
            for (int s = 0; s < steps; s++) {
                out.add(Long.toHexString(Double.doubleToLongBits(m.forward(x, y, b, t, true, s))));
                m.zeroGradients();
                m.backward(1f);
                AdamW.clipGradientNorm(m, 1.0);
                opt.step(1e-3f);
            }
            float[] p = new float[(int) m.layout().totalSize()];
            be.read(m.parameters(), 0, p, 0, p.length);
            out.add(Integer.toHexString(Arrays.hashCode(p)));
        }
        return out;
    }

    /** Entry point of the forked JVM: prints what {@link #train} returns, one line. */
    public static void main(String[] args) {
        System.out.println(String.join(" ", train(Integer.parseInt(args[0]))));
    }

    @Test
    void aWarmJvmAndAFreshC1OnlyJvmTrainToTheSameBits() throws Exception {
        int steps = 40;
        for (int warm = 0; warm < 5; warm++) train(200); // C2 compiles every kernel here (GELU's after ~150 steps)
        String here = String.join(" ", train(steps));
        Path log = Files.createTempFile("c1-training", ".txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ReproducibleTrainingTest.class.getName(), "" + steps)
                .redirectOutput(log.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, p.waitFor(), "the forked JVM failed");
        String there = Files.readString(log).strip();
        Files.delete(log);
        assertEquals(here, there, "losses of each step, then the parameters' hash");
    }
}
