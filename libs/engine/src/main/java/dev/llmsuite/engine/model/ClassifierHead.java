package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The book's classification head (chapter 6): the output layer replaced by Linear(C, K), read at one
 * token of each sequence (the last position, as the book does after padding, or a given one), with
 * softmax cross-entropy and accuracy over that token only. The head is small ([K, C] and [K]) and runs
 * on the host; the transformer runs on the model's backend.
 *
 * <pre>
 * forward:  h[B, C] = hidden[b, pos_b];  logits[B, K] = h · Wᵀ + bias;  loss = mean CE(logits, labels)
 * backward: dlogits = (softmax − onehot) / B;  dW += dlogitsᵀ · h;  dbias += Σ dlogits;  dhidden[b, pos_b] = dlogits · W
 * </pre>
 */
public final class ClassifierHead {
    /** What one forward gave: the mean loss (NaN without labels), each row's logits, and how many were right. */
    public record Result(double loss, float[][] logits, int[] predictions, int correct) {}

    private final GptModel model;
    private final int classes;
    private final int c;
    /** [K, C] then [K]: out_head.weight, out_head.bias, on the model's backend (so AdamW can update them). */
    private final Tensor params;
    private final Tensor grads;
    private final List<ParameterLayout.Spec> specs;
    private float[] w; // host copy of params for the last forward
    // the last forward, for backward
    private float[][] h;
    private double[][] probs;
    private int[] labels;
    private int[] positions;
    private int t;

    public ClassifierHead(GptModel model, int classes) {
        if (classes < 2) throw new IllegalArgumentException("a classifier needs at least 2 classes");
        this.model = model;
        this.classes = classes;
        this.c = model.config().embeddingDim();
        this.specs = List.of(
                new ParameterLayout.Spec("out_head.weight", new int[] {classes, c}, 0, (long) classes * c, true, false),
                new ParameterLayout.Spec("out_head.bias", new int[] {classes}, (long) classes * c, classes, false, false));
        this.params = model.backend().allocate((long) classes * c + classes);
        this.grads = model.backend().allocate((long) classes * c + classes);
    }

    public int classes() { return classes; }

    public int vocabSize() { return model.config().vocabSize(); }

    /** PyTorch's Linear default: weight and bias U(−1/√C, 1/√C). */
    public void initialize(long seed) {
        Random r = new Random(seed);
        double bound = 1 / Math.sqrt(c);
        float[] v = new float[size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        model.backend().write(params, 0, v, 0, v.length);
    }

    public Tensor parameters() { return params; }

    public Tensor gradients() { return grads; }

    /** The head's parameters as an optimizer group: out_head.weight (decayed) and out_head.bias. */
    public List<ParameterLayout.Spec> specs() { return specs; }

    public void zeroGradients() { model.backend().zero(grads); }

    /** The head's values, [K, C] weight then [K] bias (for files). */
    public float[] values() {
        float[] v = new float[size()];
        model.backend().read(params, 0, v, 0, v.length);
        return v;
    }

    /** Sets the head's values, [K, C] weight then [K] bias. */
    public void setValues(float[] v) {
        if (v.length != size()) throw new IllegalArgumentException("a head of " + size() + " values, not " + v.length);
        model.backend().write(params, 0, v, 0, v.length);
    }

    /** Class probabilities (softmax of the last forward's logits), per row. */
    public double[][] probabilities() {
        double[][] out = new double[probs.length][];
        for (int i = 0; i < out.length; i++) out[i] = probs[i].clone();
        return out;
    }

    /**
     * Runs the model on inputs [B, T] and the head on each row's token at positions[b] (null: T − 1).
     * With labels, the loss is their mean cross-entropy.
     */
    public Result forward(int[] inputs, int b, int t, int[] positions, int[] labels, boolean training, long seed) {
        model.forwardHidden(inputs, null, b, t, training, seed);
        ComputeBackend be = model.backend();
        Tensor hidden = model.hidden();
        this.t = t;
        this.positions = new int[b];
        this.labels = labels;
        w = new float[size()];
        be.read(params, 0, w, 0, w.length);
        h = new float[b][c];
        probs = new double[b][classes];
        float[][] logits = new float[b][classes];
        int[] predictions = new int[b];
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < b; i++) {
            int pos = positions == null ? t - 1 : positions[i];
            if (pos < 0 || pos >= t) throw new IllegalArgumentException("position " + pos + " outside the sequence of " + t);
            this.positions[i] = pos;
            be.read(hidden, (long) (i * t + pos) * c, h[i], 0, c);
            double max = Double.NEGATIVE_INFINITY;
            double[] z = new double[classes];
            for (int k = 0; k < classes; k++) {
                z[k] = w[classes * c + k];
                for (int j = 0; j < c; j++) z[k] += (double) w[k * c + j] * h[i][j];
                logits[i][k] = (float) z[k];
                max = Math.max(max, z[k]);
                if (z[k] > z[predictions[i]]) predictions[i] = k;
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += probs[i][k] = Math.exp(z[k] - max);
            for (int k = 0; k < classes; k++) probs[i][k] /= sum;
            if (labels != null) {
                if (labels[i] < 0 || labels[i] >= classes) throw new IllegalArgumentException("label " + labels[i] + " outside 0.." + (classes - 1));
                loss -= Math.log(probs[i][labels[i]]);
                if (predictions[i] == labels[i]) correct++;
            }
        }
        return new Result(labels == null ? Double.NaN : loss / b, logits, predictions, correct);
    }

    /** Adds the head's gradients and backpropagates into the model (its trainable part). */
    public void backward() {
        if (labels == null) throw new IllegalStateException("backward needs a forward with labels");
        int b = h.length;
        ComputeBackend be = model.backend();
        Tensor dhidden = model.hiddenGradient();
        float[] g = new float[size()];
        be.read(grads, 0, g, 0, g.length);
        float[] row = new float[c];
        for (int i = 0; i < b; i++) {
            Arrays.fill(row, 0f);
            for (int k = 0; k < classes; k++) {
                float d = (float) ((probs[i][k] - (k == labels[i] ? 1 : 0)) / b);
                g[classes * c + k] += d;
                for (int j = 0; j < c; j++) {
                    g[k * c + j] += d * h[i][j];
                    row[j] += d * w[k * c + j];
                }
            }
            be.write(dhidden, (long) (i * t + positions[i]) * c, row, 0, c);
        }
        be.write(grads, 0, g, 0, g.length);
        model.backwardFromHidden();
        labels = null;
    }

    /** Values in the head: K·C + K. */
    public int size() { return classes * c + classes; }
}
