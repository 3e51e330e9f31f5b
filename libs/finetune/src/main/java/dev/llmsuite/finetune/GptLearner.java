package dev.llmsuite.finetune;

import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import java.util.Set;
import java.util.function.Function;

/** A GPT-2 model fine-tuned whole (AdamW over every parameter), with GPT-2's tokens. */
public final class GptLearner implements InstructionLearner {
    private final GptModel model;
    private final AdamW optimizer;
    private final Function<String, int[]> encode;
    private final Function<int[], String> decode;

    public GptLearner(GptModel model, double weightDecay, Function<String, int[]> encode, Function<int[], String> decode) {
        this.model = model;
        this.optimizer = new AdamW(model, new AdamW.Settings(0.9f, 0.999f, 1e-8f, (float) weightDecay));
        this.encode = encode;
        this.decode = decode;
    }

    @Override public int contextLength() { return model.config().contextLength(); }

    @Override public int endOfText() { return InstructionCollate.END_OF_TEXT; }

    @Override public int[] encode(String text) { return encode.apply(text); }

    @Override public String decode(int[] ids) { return decode.apply(ids); }

    @Override
    public double trainStep(InstructionCollate.Batch b, int step, double learningRate) {
        return LanguageModelStep.run(model, optimizer, b.inputs(), b.targets(), b.batchSize(), b.length(), step, learningRate);
    }

    @Override
    public double loss(InstructionCollate.Batch b) {
        return model.forward(b.inputs(), b.targets(), b.batchSize(), b.length(), false, 0);
    }

    @Override
    public int[] complete(int[] prompt, int maxNewTokens) {
        return new Generator(model).generate(prompt, new SamplingParams(maxNewTokens, 0, 0, 1, 0, Set.of(endOfText())), null);
    }

    @Override public String description() { return "base " + model.config(); }
}
