package dev.llmsuite.finetune;

import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The book's chapter 7 as one run, the same for {@code ./llm finetune-instruct} and trainer-service's instruction
 * jobs: Alpaca-style examples split 85/10/5, fine-tuning with the book's collate ({@link InstructionTraining}), a
 * greedy response to every test prompt, and, given a judge, their scores ({@link JudgeEvaluation}). The
 * {@link Outcome} holds the figures and the responses, and saves itself.
 */
public final class InstructionRun {
    public record Settings(int epochs, int batchSize, double learningRate, double weightDecay, int maxLength, boolean maskPrompt,
                           int maxNewTokens, long seed) {}

    /** The run's stages after training, for a status that says where it is. */
    public enum Stage { RESPONDING, JUDGING }

    /** A judge model behind an OpenAI-compatible chat endpoint. */
    public record Judge(JudgeClient client, String model) {}

    /** The judge's verdict: the mean score over the answers that held one (null when none did), or why there is none. */
    public record Judged(String model, Double mean, Integer scored, Integer unparseable, String error) {
        public static Judged failed(String model, String error) {
            return new Judged(model, null, null, null, error);
        }
    }

    /** The figures: split sizes (train, test, validation), losses, steps, time, and the judge's verdict (null without one). */
    public record Result(List<Integer> split, double firstLoss, double lastTrainLoss, double validationLoss, int steps, double seconds,
                         Judged judge) implements FinetuneResult {
        public Result withJudge(Judged verdict) {
            return new Result(split, firstLoss, lastTrainLoss, validationLoss, steps, seconds, verdict);
        }
    }

    /** A test example and what the model answered. */
    public record Response(InstructionExample example, String modelResponse) {}

    public record Outcome(Result result, List<Response> responses) {
        /** Writes the model (Hugging Face layout) and test-responses.jsonl (the book's fields) into dir. */
        public void save(GptModel model, Path dir) throws IOException {
            HfCheckpoint.save(model, dir);
            writeResponses(dir.resolve(RESPONSES));
        }

        /** One JSON line per test example: instruction, input, output, model_response (the book's file). */
        public void writeResponses(Path file) throws IOException {
            StringBuilder lines = new StringBuilder();
            for (Response r : responses) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("instruction", r.example().instruction());
                line.put("input", r.example().input());
                line.put("output", r.example().output());
                line.put("model_response", r.modelResponse());
                lines.append(Json.write(line)).append('\n');
            }
            Files.writeString(file, lines);
        }
    }

    public static final String RESPONSES = "test-responses.jsonl";

    private InstructionRun() {}

    /**
     * Fine-tunes model (in place) on the examples, answers the test split and, with a judge, scores the answers. A
     * judge that cannot be reached leaves its error in the verdict; the model is still trained and answered.
     */
    public static Outcome run(GptModel model, List<InstructionExample> all, Settings s, Judge judge, Function<String, int[]> encode,
                              Function<int[], String> decode, Consumer<String> progress, Consumer<Stage> stages)
            throws InterruptedException {
        return run(new GptLearner(model, s.weightDecay(), encode, decode), all, s, judge, progress, stages);
    }

    /** The same on any learner: a GPT-2 trained whole, or a Llama / Qwen3 through LoRA adapters. */
    public static Outcome run(InstructionLearner model, List<InstructionExample> all, Settings s, Judge judge, Consumer<String> progress,
                              Consumer<Stage> stages) throws InterruptedException {
        InstructionData.Split split = InstructionData.split(all);
        progress.accept(String.format("%d examples, split %d/%d/%d (train/test/validation); %s", all.size(), split.train().size(),
                split.test().size(), split.validation().size(), model.description()));
        var report = InstructionTraining.train(model, split.train(), split.validation(),
                new InstructionTraining.Settings(s.epochs(), s.batchSize(), s.learningRate(), s.weightDecay(), s.maxLength(), s.maskPrompt(),
                        s.seed()), progress);
        progress.accept(String.format("loss %.3f -> %.3f, validation %.3f; %d steps in %.0f s", report.firstLoss(), report.lastTrainLoss(),
                report.validationLoss(), report.steps(), report.seconds()));

        stages.accept(Stage.RESPONDING);
        long t0 = System.nanoTime();
        List<Response> responses = new ArrayList<>();
        for (int i = 0; i < split.test().size(); i++) {
            InstructionExample e = split.test().get(i);
            responses.add(new Response(e, InstructionTraining.respond(model, e, s.maxNewTokens())));
            if ((i + 1) % 10 == 0 || i + 1 == split.test().size()) {
                progress.accept(String.format("responses %d/%d (%.0f s)", i + 1, split.test().size(), (System.nanoTime() - t0) / 1e9));
            }
        }
        Result result = new Result(List.of(split.train().size(), split.test().size(), split.validation().size()), report.firstLoss(),
                report.lastTrainLoss(), report.validationLoss(), report.steps(), report.seconds(), null);
        if (judge != null) {
            stages.accept(Stage.JUDGING);
            Judged verdict;
            try {
                JudgeEvaluation.Result j = JudgeEvaluation.run(judge.client(), judge.model(), split.test(),
                        responses.stream().map(Response::modelResponse).toList(), progress);
                verdict = new Judged(judge.model(), Double.isNaN(j.mean()) ? null : j.mean(), j.scored(), j.unparseable(), null);
            } catch (IOException e) {
                verdict = Judged.failed(judge.model(), e.getMessage());
            }
            result = result.withJudge(verdict);
        }
        return new Outcome(result, responses);
    }
}
