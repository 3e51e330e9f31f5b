package dev.llmsuite.finetune;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * The book's evaluation of an instruction-tuned model (chapter 7.8): every test response scored 0-100
 * by a judge model with the book's prompt; the mean over the answers that held a score, and how many
 * did not. Progress ("judged k/n, ETA") goes to a consumer every ten answers.
 */
public final class JudgeEvaluation {
    /** @param mean NaN when no answer held a score */
    public record Result(String judge, double mean, int scored, int unparseable) {}

    private JudgeEvaluation() {}

    public static Result run(JudgeClient judge, String judgeModel, List<InstructionExample> test, List<String> responses,
                             Consumer<String> progress) throws IOException, InterruptedException {
        if (test.size() != responses.size()) throw new IllegalArgumentException("one response per test example");
        long t0 = System.nanoTime();
        int scored = 0, unparseable = 0;
        long sum = 0;
        for (int i = 0; i < test.size(); i++) {
            Integer score = JudgeClient.parse(judge.ask(JudgeClient.prompt(test.get(i), responses.get(i))));
            if (score == null) {
                unparseable++;
            } else {
                scored++;
                sum += score;
            }
            if ((i + 1) % 10 == 0 || i + 1 == test.size()) {
                double elapsed = (System.nanoTime() - t0) / 1e9;
                progress.accept(String.format("judged %d/%d, ETA %.0f s", i + 1, test.size(), elapsed / (i + 1) * (test.size() - i - 1)));
            }
        }
        return new Result(judgeModel, scored == 0 ? Double.NaN : (double) sum / scored, scored, unparseable);
    }
}
