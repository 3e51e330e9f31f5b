package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.ClassifierHead;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.ParameterLayout;
import dev.llmsuite.engine.train.AdamW;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The book's classification head: its gradients, partial unfreezing, and that it learns. */
class ClassifierHeadTest {
    static final GptConfig CFG = GptModelGradientTest.ODD;

    @Test
    void headGradientsMatchFiniteDifferencesInDouble() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, CFG);
            GptModelGradientTest.initialize(m, 3);
            ClassifierHead head = new ClassifierHead(m, 3);
            head.initialize(4);
            Random r = new Random(5);
            int b = 4, t = 7, c = CFG.embeddingDim();
            int[] ids = GptModelGradientTest.randomIds(r, b * t, CFG.vocabSize());
            int[] labels = {0, 2, 1, 2}, positions = {6, 3, 6, 0};
            m.setTrainable(name -> false);
            double loss = head.forward(ids, b, t, positions, labels, false, 0).loss();
            float[] hidden = new float[b * t * c];
            be.read(m.hidden(), 0, hidden, 0, hidden.length);
            head.zeroGradients();
            head.backward();
            float[] grads = new float[head.size()], params = new float[head.size()];
            be.read(head.gradients(), 0, grads, 0, grads.length);
            be.read(head.parameters(), 0, params, 0, params.length);
            double[] theta = new double[params.length];
            for (int i = 0; i < theta.length; i++) theta[i] = params[i];
            assertEquals(headLoss(theta, hidden, positions, labels, t, c, 3), loss, 1e-9);
            for (int i = 0; i < theta.length; i++) {
                double keep = theta[i], eps = 1e-6;
                theta[i] = keep + eps;
                double up = headLoss(theta, hidden, positions, labels, t, c, 3);
                theta[i] = keep - eps;
                double down = headLoss(theta, hidden, positions, labels, t, c, 3);
                theta[i] = keep;
                double fd = (up - down) / (2 * eps);
                assertEquals(fd, grads[i], 1e-6 + 1e-4 * Math.abs(fd), "head parameter " + i);
            }
        }
    }

    /** The head's loss in double from the hidden states, as the book's torch code computes it. */
    static double headLoss(double[] theta, float[] hidden, int[] positions, int[] labels, int t, int c, int k) {
        double loss = 0;
        for (int i = 0; i < labels.length; i++) {
            double[] z = new double[k];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < k; j++) {
                z[j] = theta[k * c + j];
                for (int x = 0; x < c; x++) z[j] += theta[j * c + x] * hidden[(i * t + positions[i]) * c + x];
                max = Math.max(max, z[j]);
            }
            for (int j = 0; j < k; j++) sum += Math.exp(z[j] - max);
            loss -= z[labels[i]] - max - Math.log(sum);
        }
        return loss / labels.length;
    }

    @Test
    void freezingAllButTheLastBlockKeepsItsGradientsAndSkipsTheRest() {
        try (CpuBackend be = new CpuBackend(2)) {
            Random r = new Random(8);
            int b = 3, t = 9;
            int[] ids = GptModelGradientTest.randomIds(r, b * t, CFG.vocabSize());
            int[] labels = {1, 0, 1};
            float[][] grads = new float[2][];
            for (int frozen = 0; frozen < 2; frozen++) {
                GptModel m = new GptModel(be, CFG);
                GptModelGradientTest.initialize(m, 9);
                if (frozen == 1) m.setTrainable(name -> name.startsWith("h.1.") || name.startsWith("ln_f."));
                ClassifierHead head = new ClassifierHead(m, 2);
                head.initialize(10);
                head.forward(ids, b, t, null, labels, false, 0);
                m.zeroGradients();
                head.zeroGradients();
                head.backward();
                grads[frozen] = new float[(int) m.layout().totalSize()];
                be.read(m.gradients(), 0, grads[frozen], 0, grads[frozen].length);
            }
            GptModel layout = new GptModel(be, CFG);
            for (ParameterLayout.Spec s : layout.layout().specs()) {
                boolean trains = s.name().startsWith("h.1.") || s.name().startsWith("ln_f.");
                for (long i = s.offset(); i < s.offset() + s.size(); i++) {
                    if (trains) assertEquals(grads[0][(int) i], grads[1][(int) i], 1e-6f, s.name());
                    else if (!s.name().contains("ln_")) assertEquals(0f, grads[1][(int) i], s.name() + " is frozen: no gradient computed");
                }
            }
        }
    }

    @Test
    void aSmallModelLearnsToClassify() {
        GptConfig cfg = GptConfig.TINY;
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, cfg);
            m.initialize(1);
            ClassifierHead head = new ClassifierHead(m, 2);
            head.initialize(2);
            AdamW trunk = AdamW.forModel(m, AdamW.Settings.book(), s -> true);
            AdamW headOpt = new AdamW(be, head.parameters(), head.gradients(), head.specs(), AdamW.Settings.book());
            // class 1: sequences that contain token 7; class 0: those that do not
            Random r = new Random(3);
            int b = 8, t = 12;
            int[] ids = new int[b * t], labels = new int[b];
            for (int i = 0; i < b; i++) {
                labels[i] = i % 2;
                for (int j = 0; j < t; j++) ids[i * t + j] = 10 + r.nextInt(50);
                if (labels[i] == 1) ids[i * t + r.nextInt(t)] = 7;
            }
            ClassifierHead.Result res = null;
            for (int step = 0; step < 80; step++) {
                res = head.forward(ids, b, t, null, labels, true, step);
                m.zeroGradients();
                head.zeroGradients();
                head.backward();
                trunk.step(3e-3f);
                headOpt.step(3e-3f);
            }
            assertEquals(b, res.correct(), "fits its batch: loss " + res.loss());
            assertTrue(res.loss() < 0.1, "loss " + res.loss());
        }
    }
}
