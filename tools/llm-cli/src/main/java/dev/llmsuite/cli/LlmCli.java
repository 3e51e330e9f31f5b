package dev.llmsuite.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code ./llm}: the suite's command line. Errors print as one line; the exit code says what failed. */
@Command(name = "llm", mixinStandardHelpOptions = true, version = "llm-suite 0.1.0",
        description = "Train, fine-tune and serve GPT-style models on the JVM.",
        subcommands = {DemoCommand.class, TokenizeCommand.class, DetokenizeCommand.class, BpeTrainCommand.class,
                BenchCommand.class, InitCommand.class, ServeCommand.class, GenerateCommand.class, ConvertCommand.class, ClassifyFinetuneCommand.class,
                InstructFinetuneCommand.class})
public final class LlmCli {

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new LlmCli())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("llm: " + oneLine(e));
                    return 1;
                });
        System.exit(cli.execute(args));
    }

    static String oneLine(Throwable e) {
        if (e instanceof JsonProcessingException j) {
            return ("not valid JSON: " + j.getOriginalMessage()).replace('\n', ' ');
        }
        String msg = e.getMessage();
        if (msg == null && e.getCause() != null) msg = e.getCause().getMessage();
        if (msg == null) msg = e.getClass().getSimpleName();
        return msg.replace('\n', ' ');
    }
}
