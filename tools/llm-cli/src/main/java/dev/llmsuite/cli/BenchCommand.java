package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.ComputeBackends;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine;

/**
 * {@code ./llm bench gemm|train|decode}: the engine beside PyTorch (when installed) in one run, fp32,
 * as a table, or with --json one line per row with both figures and their ratio.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the engine beside PyTorch CPU (fp32, same shapes, same thread count).",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Train.class, BenchCommand.Decode.class, PerplexityCommand.class,
                LoadCommand.class, PipelineBenchCommand.class, StructuredBenchCommand.class, PrefixBenchCommand.class,
                FormatsBenchCommand.class, SpeculativeBenchCommand.class, LlamaBenchCommand.class, LoraBenchCommand.class})
final class BenchCommand {

    static class Common {
        @Option(names = "--threads", defaultValue = "2", description = "threads for both sides (default ${DEFAULT-VALUE})")
        int threads;

        @Option(names = "--json", description = "one JSON line per row")
        boolean json;

        @Option(names = "--no-peer", description = "skip PyTorch")
        boolean noPeer;

        @Option(names = "--backend", defaultValue = "cpu",
                description = "cpu or tornado (a TornadoVM device; needs the SDK, see docs/gpu.md) (default ${DEFAULT-VALUE})")
        String backend;

        @Option(names = "--device", defaultValue = "0", description = "TornadoVM device index (default ${DEFAULT-VALUE})")
        int device;

        @Option(names = "--peer-device", defaultValue = "cpu",
                description = "where PyTorch runs: cpu, or cuda beside --backend tornado on a GPU (default ${DEFAULT-VALUE})")
        String peerDevice;

        @Option(names = "--peer-tf32", description = "let PyTorch use TF32 for fp32 products (cuda; off by default)")
        boolean peerTf32;

        /** The backend asked for; a TornadoVM backend that cannot start is an error here, not a silent CPU run. */
        ComputeBackend backend() {
            if (!backend.equals("cpu") && !backend.equals("tornado")) {
                throw new IllegalArgumentException("--backend must be cpu or tornado, not '" + backend + "'");
            }
            String[] why = {""};
            ComputeBackend be = ComputeBackends.select(backend, device, threads, line -> why[0] = line);
            if (backend.equals("tornado") && be instanceof CpuBackend) {
                be.close();
                throw new IllegalStateException("--backend tornado: " + why[0].replace("compute backend: ", ""));
            }
            return be;
        }

        TorchPeer peer() {
            if (noPeer) return null;
            if (!peerDevice.equals("cpu") && !peerDevice.equals("cuda")) {
                throw new IllegalArgumentException("--peer-device must be cpu or cuda, not '" + peerDevice + "'");
            }
            List<String> where = new ArrayList<>(List.of("--device", peerDevice));
            if (peerTf32) where.add("--tf32");
            return TorchPeer.find(Path.of(System.getProperty("llm.home", ".")), where);
        }

        void row(Map<String, Object> r) {
            if (json) {
                System.out.println(Http.JSON.valueToTree(r).toString());
            } else {
                StringBuilder sb = new StringBuilder();
                r.forEach((k, v) -> sb.append(String.format("%s=%s  ", k, v instanceof Double d ? String.format(Math.abs(d) < 10 ? "%.2f" : "%.1f", d) : v)));
                System.out.println(sb.toString().strip());
            }
        }
    }

    /** Tokens/s of greedy decode, batch 1, after a one-token prompt; its KV cache is given back. */
    static double decodeRate(ComputeBackend be, Decoder decoder, GptConfig cfg, int firstToken, int tokens) {
        try (KvCache cache = new KvCache(be, cfg)) {
            float[] logits = decoder.prefill(new int[] {firstToken}, cache);
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) logits = decoder.decode(TokenSampler.argmax(logits), cache);
            return tokens / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static Double ratio(Double ours, Double peer) {
        return ours == null || peer == null || peer == 0 ? null : ours / peer;
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true, description = "GFLOP/s of GPT-2 124M's matrix products")
    static final class Gemm extends Common implements Runnable {
        @Option(names = "--n", split = ",", defaultValue = "256,1024", description = "rows B*T (default ${DEFAULT-VALUE})")
        List<Integer> rows;

        public void run() {
            TorchPeer peer = peer();
            int c = 768;
            int[][] shapes = {{c, 3 * c}, {c, c}, {c, 4 * c}, {4 * c, c}, {c, 50257}};
            String[] names = {"qkv", "attn_proj", "fc", "fc_proj", "lm_head"};
            try (ComputeBackend be = backend()) {
                for (int n : rows) {
                    List<JsonNode> theirs = peer == null ? List.of() : peer.run("gemm", "--n", "" + n, "--threads", "" + threads);
                    for (int s = 0; s < shapes.length; s++) {
                        int k = shapes[s][0], oc = shapes[s][1];
                        Random r = new Random(s);
                        Tensor x = tensor(be, r, n * k), w = tensor(be, r, oc * k), dout = tensor(be, r, n * oc);
                        Tensor out = be.allocate((long) n * oc), dx = be.allocate((long) n * k), dw = be.allocate((long) oc * k);
                        double flops = 2.0 * n * k * oc;
                        double fwd = gflops(flops, () -> be.matmulForward(out, x, w, null, n, k, oc));
                        double bwd = gflops(2 * flops, () -> be.matmulBackward(dx, dw, null, dout, x, w, n, k, oc));
                        JsonNode p = s < theirs.size() ? theirs.get(s) : null;
                        Double pf = p == null ? null : p.get("forward_gflops").asDouble();
                        Double pb = p == null ? null : p.get("backward_gflops").asDouble();
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("bench", "gemm");
                        row.put("backend", be.name());
                        row.put("shape", n + "x" + k + "x" + oc);
                        row.put("name", names[s]);
                        row.put("ours_forward_gflops", fwd);
                        row.put("torch_forward_gflops", pf);
                        row.put("forward_ratio", ratio(fwd, pf));
                        row.put("ours_backward_gflops", bwd);
                        row.put("torch_backward_gflops", pb);
                        row.put("backward_ratio", ratio(bwd, pb));
                        row(row);
                        // a device arena would not hold every shape's operands at once
                        for (Tensor t : List.of(x, w, dout, out, dx, dw)) be.release(t);
                    }
                }
            }
        }

        /**
         * GFLOP/s of op after a warm-up long enough for the JIT to compile the kernels (0.3 s, at least 3
         * runs; the first shape measured used to pay for it): at least 3 runs, then until 2·10¹⁰ flops or
         * one second.
         */
        private static double gflops(double flops, Runnable op) {
            long warm = System.nanoTime();
            for (int i = 0; i < 3 || System.nanoTime() - warm < 300_000_000L; i++) op.run();
            long t0 = System.nanoTime();
            int reps = 0;
            do {
                op.run();
                reps++;
            } while (reps < 3 || (reps * flops < 2e10 && System.nanoTime() - t0 < 1_000_000_000L));
            return flops * reps / ((System.nanoTime() - t0) / 1e9) / 1e9;
        }

        private static Tensor tensor(ComputeBackend be, Random r, int n) {
            Tensor t = be.allocate(n);
            be.write(t, 0, fill(r, n), 0, n);
            return t;
        }

        private static float[] fill(Random r, int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
            return a;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true, description = "training tokens/s and peak memory")
    static final class Train extends Common implements Runnable {
        @Option(names = "--preset", defaultValue = "gpt2-124m") String preset;
        @Option(names = "--tied", description = "share the output head with the token embedding (GPT-2's layout)") boolean tied;
        @Option(names = "--batch", defaultValue = "4") int batch;
        @Option(names = "--context", defaultValue = "64") int context;
        @Option(names = "--steps", defaultValue = "5") int steps;
        @Option(names = "--losses", description = "add every step's loss to the row (to compare backends)") boolean losses;

        public void run() {
            TorchPeer peer = peer();
            JsonNode theirs = null;
            if (peer != null) {
                List<String> args = new ArrayList<>(List.of("train", "--preset", preset, "--batch", "" + batch,
                        "--context", "" + context, "--steps", "" + steps, "--threads", "" + threads));
                if (tied) args.add("--tied");
                theirs = peer.run(args.toArray(String[]::new)).getFirst();
            }
            GptConfig cfg = GptConfig.preset(preset).withTiedOutputHead(tied);
            double tokensPerS;
            String backendName;
            List<Double> stepLosses = new ArrayList<>();
            try (ComputeBackend be = backend()) {
                backendName = be.name();
                GptModel model = new GptModel(be, cfg);
                model.initialize(0);
                AdamW opt = new AdamW(model, AdamW.Settings.book());
                Random r = new Random(0);
                int[] x = new int[batch * context], y = new int[batch * context];
                for (int i = 0; i < x.length; i++) { x[i] = r.nextInt(cfg.vocabSize()); y[i] = r.nextInt(cfg.vocabSize()); }
                long total = 0;
                for (int step = 0; step <= steps; step++) {
                    long t0 = System.nanoTime();
                    stepLosses.add(model.forward(x, y, batch, context, true, step));
                    model.zeroGradients();
                    model.backward(1f);
                    AdamW.clipGradientNorm(model, 1.0);
                    opt.step(4e-4f);
                    if (step > 0) total += System.nanoTime() - t0; // step 0 warms up the JIT
                }
                tokensPerS = (double) batch * context * steps / (total / 1e9);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("bench", "train");
            row.put("backend", backendName);
            row.put("preset", preset + (tied ? " (tied)" : ""));
            row.put("batch", batch);
            row.put("context", context);
            row.put("ours_tokens_per_s", tokensPerS);
            row.put("torch_tokens_per_s", theirs == null ? null : theirs.get("tokens_per_s").asDouble());
            row.put("ratio", ratio(tokensPerS, theirs == null ? null : theirs.get("tokens_per_s").asDouble()));
            row.put("ours_peak_rss_mb", (double) peakRssMb());
            row.put("torch_peak_rss_mb", theirs == null ? null : theirs.get("peak_rss_mb").asDouble());
            if (theirs != null && theirs.hasNonNull("peak_device_mb")) row.put("torch_peak_device_mb", theirs.get("peak_device_mb").asDouble());
            if (losses) row.put("losses", stepLosses);
            row(row);
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true, description = "batch-1 decode tokens/s with a KV cache")
    static final class Decode extends Common implements Runnable {
        @Option(names = "--preset", defaultValue = "gpt2-124m") String preset;
        @Option(names = "--tokens", defaultValue = "64") int tokens;
        @Option(names = "--batch", defaultValue = "1", description = "sequences decoded together (continuous batching)") int batch;
        @Option(names = "--weights", defaultValue = "fp32",
                description = "fp32, bf16 or int8: what decode steps read the linear layers from (default ${DEFAULT-VALUE})") String weights;
        @Option(names = "--reps", defaultValue = "3",
                description = "timed passes, each followed by a bandwidth measurement; the best of each (default ${DEFAULT-VALUE})") int reps;

        Decoder decoder(ComputeBackend be, GptConfig cfg) {
            GptModel model = new GptModel(be, cfg);
            model.initialize(0);
            try {
                return Decoder.of(model, ServingWeights.parse(weights));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(new CommandLine(this), "--" + e.getMessage());
            }
        }

        public void run() {
            if (reps < 1) throw new ParameterException(new CommandLine(this), "--reps must be at least 1");
            if (batch > 1) {
                runBatched();
                return;
            }
            TorchPeer peer = peer();
            JsonNode theirs = peer == null ? null
                    : peer.run("decode", "--preset", preset, "--tokens", "" + tokens, "--threads", "" + threads).getFirst();
            GptConfig cfg = GptConfig.preset(preset).withTiedOutputHead(true);
            try (ComputeBackend be = backend()) {
                Decoder decoder = decoder(be, cfg);
                boolean cpu = be instanceof CpuBackend;
                batchOneRate(be, decoder, cfg, cfg.vocabSize() - 1); // warm-up
                // Decode and the memory's read bandwidth take turns, so that both see the machine in the same state
                // (on a shared VM either varies by a third within minutes); the best of each.
                double tokensPerS = 0, gbs = 0;
                float[] readBuffer = cpu ? WeightBandwidth.buffer() : null;
                for (int rep = 0; rep < reps; rep++) {
                    tokensPerS = Math.max(tokensPerS, batchOneRate(be, decoder, cfg, cfg.vocabSize() - 1));
                    if (cpu) gbs = Math.max(gbs, WeightBandwidth.readGigabytesPerSecond(readBuffer, threads));
                }
                Map<String, Object> row = decodeRow("decode", be);
                row.put("tokens", tokens);
                row.put("ours_tokens_per_s", tokensPerS);
                Double t = theirs == null ? null : theirs.get("tokens_per_s").asDouble();
                row.put("torch_tokens_per_s", t);
                row.put("ratio", ratio(tokensPerS, t));
                if (cpu) { // batch 1 reads every weight once a token: the memory's bound
                    double mb = WeightBandwidth.bytesPerToken(cfg, ServingWeights.parse(weights)) / 1e6;
                    row.put("weight_mb_per_token", mb);
                    row.put("read_gb_per_s", gbs);
                    row.put("bound_tokens_per_s", gbs * 1e3 / mb);
                    row.put("of_bound", tokensPerS / (gbs * 1e3 / mb));
                }
                row(row);
            }
        }

        /** A decode row's first columns: which bench, on what backend, model and weights. */
        private Map<String, Object> decodeRow(String bench, ComputeBackend be) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("bench", bench);
            row.put("backend", be.name());
            row.put("preset", preset);
            row.put("weights", weights);
            return row;
        }

        private double batchOneRate(ComputeBackend be, Decoder decoder, GptConfig cfg, int firstToken) {
            return decodeRate(be, decoder, cfg, firstToken, tokens);
        }

        /** Aggregate tokens/s of `batch` sequences decoded together, beside batch × the batch-1 rate. */
        private void runBatched() {
            TorchPeer peer = peer();
            JsonNode theirs = peer == null ? null : peer.run("decode", "--preset", preset, "--tokens", "" + tokens,
                    "--batch", "" + batch, "--threads", "" + threads).getFirst();
            GptConfig cfg = GptConfig.preset(preset).withTiedOutputHead(true);
            try (ComputeBackend be = backend()) {
                Decoder decoder = decoder(be, cfg);
                double single = 0, together = 0;
                for (int warm = 0; warm < 2; warm++) {
                    single = batchOneRate(be, decoder, cfg, 1);
                    KvCache[] caches = new KvCache[batch];
                    try {
                        int[] next = new int[batch];
                        for (int b = 0; b < batch; b++) {
                            caches[b] = new KvCache(be, cfg);
                            next[b] = TokenSampler.argmax(decoder.prefill(new int[] {1 + b}, caches[b]));
                        }
                        long t0 = System.nanoTime();
                        for (int i = 0; i < tokens; i++) {
                            float[][] out = decoder.decodeBatch(next, caches);
                            for (int b = 0; b < batch; b++) next[b] = TokenSampler.argmax(out[b]);
                        }
                        together = (double) tokens * batch / ((System.nanoTime() - t0) / 1e9);
                    } finally {
                        for (KvCache c : caches) if (c != null) c.close(); // a device arena would keep them
                    }
                }
                Map<String, Object> row = decodeRow("decode-batched", be);
                row.put("batch", batch);
                row.put("tokens_per_sequence", tokens);
                row.put("batch1_tokens_per_s", single);
                row.put("aggregate_tokens_per_s", together);
                row.put("speedup_over_batch1", together / single);
                Double t = theirs == null ? null : theirs.get("tokens_per_s").asDouble();
                row.put("torch_aggregate_tokens_per_s", t);
                row.put("ratio", ratio(together, t));
                row(row);
            }
        }
    }

    /** This JVM's peak resident set (VmHWM), in MiB. */
    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return -1;
    }
}
