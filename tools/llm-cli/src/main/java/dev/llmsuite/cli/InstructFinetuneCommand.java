package dev.llmsuite.cli;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.finetune.InstructionData;
import dev.llmsuite.finetune.InstructionExample;
import dev.llmsuite.finetune.InstructionRun;
import dev.llmsuite.finetune.JudgeClient;
import dev.llmsuite.finetune.LlamaLearner;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
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
    @Option(names = "--base", required = true, description = "checkpoint directory (Hugging Face GPT-2 layout; Llama 3 / Qwen3: LoRA), or a training job's directory: its newest step") Path base;
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
    @Option(names = "--mode", description = "Llama 3 / Qwen3 bases: lora (default) or all (every weight); GPT-2 bases train every weight") String mode;
    @Option(names = "--lora-rank", defaultValue = "16", description = "Llama 3 / Qwen3 bases: the adapters' rank (default ${DEFAULT-VALUE})") int loraRank;
    @Option(names = "--lora-alpha", defaultValue = "16", description = "Llama 3 / Qwen3 bases: the adapters' alpha (default ${DEFAULT-VALUE})") double loraAlpha;
    @Option(names = "--threads", defaultValue = "0") int threads;
    @Option(names = "--seed", defaultValue = "123") long seed;

    @Override
    public Integer call() throws Exception {
        if (judgeUrl != null && judgeModel == null) throw new IllegalArgumentException("--judge-url needs --judge-model");
        List<InstructionExample> all = InstructionData.read(data);
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        InstructionRun.Judge judge = judgeUrl == null ? null : new InstructionRun.Judge(
                new JudgeClient(judgeUrl, judgeModel, judgeKey != null ? judgeKey : System.getenv("LLM_JUDGE_API_KEY")), judgeModel);
        var settings = new InstructionRun.Settings(epochs, batch, lr, weightDecay, maxLength, maskPrompt, maxNewTokens, seed);
        try (ComputeBackend be = threads > 0 ? new CpuBackend(threads) : CpuBackend.allCores()) {
            Path dir = HfCheckpoint.newestIn(base);
            System.out.println(data.getFileName() + ":");
            if (LlamaCheckpoint.isOne(dir)) {
                if (mode != null && !mode.equals("lora") && !mode.equals("all")) throw new IllegalArgumentException("--mode must be lora or all");
                var adapters = "all".equals(mode) ? null : new LlamaLora.Settings(loraRank, loraAlpha, EnumSet.allOf(LlamaLora.Target.class));
                try (LlamaLearner learner = LlamaLearner.open(be, dir, adapters, weightDecay, seed)) {
                    InstructionRun.Outcome outcome = InstructionRun.run(learner, all, settings, judge, System.out::println, stage -> { });
                    report(outcome);
                    if (out != null) {
                        learner.save(out, out.resolve("adapter"));
                        outcome.writeResponses(out.resolve(InstructionRun.RESPONSES));
                        System.out.println("model" + (adapters == null ? "" : " (adapters merged), adapter/") + " and " + InstructionRun.RESPONSES
                                + " written to " + out);
                    }
                }
                return 0;
            }
            if (mode != null && !mode.equals("all")) throw new IllegalArgumentException("a GPT-2 base trains every weight (--mode all); lora is for Llama 3 / Qwen3 bases");
            GptModel model = HfCheckpoint.load(be, dir);
            InstructionRun.Outcome outcome = InstructionRun.run(model, all, settings, judge, gpt2::encode, gpt2::decode, System.out::println, stage -> { });
            report(outcome);
            if (out != null) {
                outcome.save(model, out);
                System.out.println("model and " + InstructionRun.RESPONSES + " written to " + out);
            }
        }
        return 0;
    }

    private void report(InstructionRun.Outcome outcome) {
        if (!outcome.responses().isEmpty()) System.out.println("first test response: " + outcome.responses().getFirst().modelResponse());
        InstructionRun.Judged verdict = outcome.result().judge();
        if (verdict != null && verdict.error() != null) System.out.println("judge " + judgeModel + ": " + verdict.error());
        if (verdict != null && verdict.error() == null) {
            System.out.printf("judge %s: mean score %s over %d scored, %d unparseable%n", judgeModel,
                    verdict.mean() == null ? "-" : String.format("%.2f", verdict.mean()), verdict.scored(), verdict.unparseable());
        }
    }
}
