package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.Tensor;
import java.util.function.Function;

/**
 * The model's parameter tensors by role (llm.c's ParameterTensors): views into one flat buffer, looked up by
 * name once when the buffer is made, not per call. The same shape serves the gradients (an entry is null where
 * a parameter is frozen) and the serving weights (linear layers as 8-bit copies).
 *
 * <pre>
 *   tensor          shape            Hugging Face name
 *   wte             [V, C]           wte
 *   wpe             [T, C]           wpe
 *   per layer l, h.l.:
 *   ln1Weight/Bias  [C]              ln_1.weight / ln_1.bias
 *   qkvWeight       [3C, C]          attn.c_attn.weight   (qkvBias [3C], only with qkv bias)
 *   attnProjWeight  [C, C]           attn.c_proj.weight   (attnProjBias [C])
 *   ln2Weight/Bias  [C]              ln_2.weight / ln_2.bias
 *   fcWeight        [4C, C]          mlp.c_fc.weight      (fcBias [4C])
 *   fcProjWeight    [C, 4C]          mlp.c_proj.weight    (fcProjBias [C])
 *   lnfWeight/Bias  [C]              ln_f.weight / ln_f.bias
 *   outputHead      [V, C]           lm_head.weight, or wte when tied
 * </pre>
 */
public record ModelWeights(Tensor wte, Tensor wpe, Layer[] layers, Tensor lnfWeight, Tensor lnfBias, Tensor outputHead) {

    /** One transformer block's tensors. */
    public record Layer(Tensor ln1Weight, Tensor ln1Bias, Tensor qkvWeight, Tensor qkvBias, Tensor attnProjWeight,
                        Tensor attnProjBias, Tensor ln2Weight, Tensor ln2Bias, Tensor fcWeight, Tensor fcBias,
                        Tensor fcProjWeight, Tensor fcProjBias) {}

    /** The tensors {@code tensorOf} gives for each parameter name of the layout (null for a name it has not). */
    static ModelWeights of(GptConfig cfg, ParameterLayout layout, Function<String, Tensor> tensorOf) {
        Function<String, Tensor> at = name -> layout.has(name) ? tensorOf.apply(name) : null;
        Layer[] layers = new Layer[cfg.layers()];
        for (int l = 0; l < layers.length; l++) {
            String h = "h." + l + ".";
            layers[l] = new Layer(at.apply(h + "ln_1.weight"), at.apply(h + "ln_1.bias"), at.apply(h + "attn.c_attn.weight"),
                    at.apply(h + "attn.c_attn.bias"), at.apply(h + "attn.c_proj.weight"), at.apply(h + "attn.c_proj.bias"),
                    at.apply(h + "ln_2.weight"), at.apply(h + "ln_2.bias"), at.apply(h + "mlp.c_fc.weight"), at.apply(h + "mlp.c_fc.bias"),
                    at.apply(h + "mlp.c_proj.weight"), at.apply(h + "mlp.c_proj.bias"));
        }
        return new ModelWeights(at.apply("wte"), at.apply("wpe"), layers, at.apply("ln_f.weight"), at.apply("ln_f.bias"),
                at.apply(cfg.tiedOutputHead() ? "wte" : "lm_head.weight"));
    }

    /** Makes another form of a weight matrix stored [rows, cols] (an 8-bit copy, say). */
    public interface MatrixConversion {
        Tensor convert(Tensor weight, int rows, int cols);
    }

    /** These weights with the four linear layers of every block and the output head replaced by {@code convert}'s. */
    public ModelWeights withLinearLayers(GptConfig cfg, MatrixConversion convert) {
        int c = cfg.embeddingDim();
        Layer[] converted = new Layer[layers.length];
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            converted[l] = new Layer(w.ln1Weight, w.ln1Bias, convert.convert(w.qkvWeight, 3 * c, c), w.qkvBias,
                    convert.convert(w.attnProjWeight, c, c), w.attnProjBias, w.ln2Weight, w.ln2Bias,
                    convert.convert(w.fcWeight, 4 * c, c), w.fcBias, convert.convert(w.fcProjWeight, c, 4 * c), w.fcProjBias);
        }
        return new ModelWeights(wte, wpe, converted, lnfWeight, lnfBias, convert.convert(outputHead, cfg.vocabSize(), c));
    }
}
