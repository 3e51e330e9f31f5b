package dev.llmsuite.cli;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.Json;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.finetune.InstructionData;
import dev.llmsuite.finetune.InstructionExample;
import dev.llmsuite.finetune.InstructionTraining;
import dev.llmsuite.finetune.JudgeClient;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm finetune-instruct}: the book's chapter 7 on this machine: Alpaca-format data split 85/10/5,
 * the book's collate, fine-tuning, the model's responses to the test split, and (with --judge-url) their
 * scores from a judge model through any OpenAI-compatible chat endpoint: mean and unparseable count.
 */
@Command(name = "finetune-instruct", mixinStandardHelpOptions = true,
        description = "Instruction fine-tuning (the book's chapter 7), test responses, and judge scores.")
final class InstructFinetuneCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, description = "checkpoint directory (Hugging Face GPT-2 layout), or a training job's directory: its newest step") Path base;
    @Option(names = "--data", required = true, description = "Alpaca JSON array or JSON lines (instruction, input, output)") Path data;
    @Option(names = "--epochs", defaultValue = "2") int epochs;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--lr", defaultValue = "5e-5") double lr;
    @Option(names = "--weight-decay", defaultValue = "0.1") double weightDecay;
    @Option(names = "--max-length", defaultValue = "1024", description = "truncate each example (book: allowed_max_length)") int maxLength;
    @Option(names = "--mask-prompt", description = "score the response tokens only") boolean maskPrompt;
    @Option(names = "--max-new-tokens", defaultValue = "256") int maxNewTokens;
    @Option(names = "--out", description = "write the model and test-responses.jsonl here") Path out;
    @Option(names = "--judge-url", description = "OpenAI-compatible base URL, e.g. http://localhost:8084/v1") String judgeUrl;
    @Option(names = "--judge-model", description = "the judge's model name") String judgeModel;
    @Option(names = "--judge-key", description = "API key for the judge (or env LLM_JUDGE_API_KEY)") String judgeKey;
    @Option(names = "--threads", defaultValue = "0") int threads;
    @Option(names = "--seed", defaultValue = "123") long seed;

    @Override
    public Integer call() throws Exception {
        List<InstructionExample> all = InstructionData.read(data);
        InstructionData.Split split = InstructionData.split(all);
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        List<Map<String, Object>> responses = new ArrayList<>();
        try (ComputeBackend be = threads > 0 ? new CpuBackend(threads) : CpuBackend.allCores()) {
            GptModel model = HfCheckpoint.load(be, HfCheckpoint.newestIn(base));
            System.out.printf("%s: %d examples, split %d/%d/%d (train/test/validation); base %s%n", data.getFileName(), all.size(),
                    split.train().size(), split.test().size(), split.validation().size(), model.config());
            var report = InstructionTraining.train(model, split.train(), split.validation(), gpt2::encode,
                    new InstructionTraining.Settings(epochs, batch, lr, weightDecay, maxLength, maskPrompt, seed), System.out::println);
            System.out.printf("loss %.3f -> %.3f, validation %.3f; %d steps in %.0f s%n", report.firstLoss(), report.lastTrainLoss(),
                    report.validationLoss(), report.steps(), report.seconds());
            long t0 = System.nanoTime();
            for (int i = 0; i < split.test().size(); i++) {
                InstructionExample e = split.test().get(i);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("instruction", e.instruction());
                r.put("input", e.input());
                r.put("output", e.output());
                r.put("model_response", InstructionTraining.respond(model, e, gpt2::encode, gpt2::decode, maxNewTokens));
                responses.add(r);
                if ((i + 1) % 10 == 0) System.out.printf("responses %d/%d (%.0f s)%n", i + 1, split.test().size(), (System.nanoTime() - t0) / 1e9);
            }
            System.out.println("first test response: " + responses.getFirst().get("model_response"));
            if (out != null) {
                HfCheckpoint.save(model, out);
                StringBuilder lines = new StringBuilder();
                for (Map<String, Object> r : responses) lines.append(Json.write(r)).append('\n');
                Files.writeString(out.resolve("test-responses.jsonl"), lines);
                System.out.println("model and test-responses.jsonl written to " + out);
            }
        }
        if (judgeUrl != null) judge(split.test(), responses);
        return 0;
    }

    private void judge(List<InstructionExample> test, List<Map<String, Object>> responses) throws Exception {
        if (judgeModel == null) throw new IllegalArgumentException("--judge-url needs --judge-model");
        String key = judgeKey != null ? judgeKey : System.getenv("LLM_JUDGE_API_KEY");
        var result = dev.llmsuite.finetune.JudgeEvaluation.run(new JudgeClient(judgeUrl, judgeModel, key), judgeModel, test,
                responses.stream().map(r -> (String) r.get("model_response")).toList(), System.out::println);
        System.out.printf("judge %s: mean score %.2f over %d scored, %d unparseable%n", judgeModel, result.mean(),
                result.scored(), result.unparseable());
    }
}
