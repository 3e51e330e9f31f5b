package dev.llmsuite.finetune;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A labelled data set made ready for a classifier, the same way for the CLI and for trainer jobs: e-mails
 * cleaned (if asked), every class cut to the smallest, split 70/10/20 (the book's chapter 6), each text
 * encoded and cut to maxLength tokens. leftOut holds the texts the balancing dropped (minus any equal to a
 * validation or test text), encoded, for task-adaptive pre-training; empty unless asked for.
 */
public record PreparedClassification(List<String> labels, int texts, int balanced, List<ClassifierTraining.Example> train,
                                     List<ClassifierTraining.Example> validation, List<ClassifierTraining.Example> test,
                                     List<ClassifierTraining.Example> leftOut) {

    public static PreparedClassification prepare(List<ClassificationExample> raw, boolean email, boolean withLeftOut, long seed,
                                                 Function<String, int[]> tokenizer, int maxLength) {
        List<ClassificationExample> all = email ? cleaned(raw) : raw;
        List<String> labels = all.stream().map(ClassificationExample::label).distinct().sorted().toList();
        if (labels.size() < 2) throw new IllegalArgumentException("a classifier needs at least two labels, the data has " + labels);
        List<ClassificationExample> balanced = ClassificationData.balance(all, seed);
        ClassificationData.Split split = ClassificationData.split(balanced, 0.7, 0.1, seed);
        List<ClassificationExample> leftOut = withLeftOut ? ClassificationData.leftOut(all, balanced, split.heldOut()) : List.of();
        return new PreparedClassification(labels, all.size(), balanced.size(),
                ClassifierTraining.encode(split.train(), labels, tokenizer, maxLength),
                ClassifierTraining.encode(split.validation(), labels, tokenizer, maxLength),
                ClassifierTraining.encode(split.test(), labels, tokenizer, maxLength),
                ClassifierTraining.encode(leftOut, labels, tokenizer, maxLength));
    }

    /** Task-adaptive pre-training's texts: the training split's, then the left-out ones (labels unused). */
    public List<int[]> adaptationTexts() {
        List<int[]> out = new ArrayList<>(train.size() + leftOut.size());
        for (ClassifierTraining.Example e : train) out.add(e.ids());
        for (ClassifierTraining.Example e : leftOut) out.add(e.ids());
        return out;
    }

    private static List<ClassificationExample> cleaned(List<ClassificationExample> raw) {
        List<ClassificationExample> out = new ArrayList<>(raw.size());
        for (ClassificationExample e : raw) out.add(new ClassificationExample(EmailText.clean(e.text()), e.label()));
        return out;
    }
}
