package dev.llmsuite.services.trainer;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which hosts a fine-tuning job's judgeUrl may name: only those in {@code llm.trainer.finetune.judge-hosts}
 * ("host" or "host:port"). The trainer sends the judge key and the test split to that host, so a job
 * cannot point it anywhere else: not the cloud metadata address, not a loopback or private service, unless
 * the operator listed it.
 */
final class JudgeHosts {
    private final List<String> allowed;

    JudgeHosts(List<String> allowed) {
        this.allowed = allowed.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty()).toList();
    }

    /** Null when the URL may be used, else why not. */
    String refusal(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return "judgeUrl is not a URL";
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) return "judgeUrl must be http or https";
        if (uri.getRawUserInfo() != null) return "judgeUrl must not carry credentials";
        String host = uri.getHost();
        if (host == null) return "judgeUrl has no host";
        host = host.toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        if (allowed.contains(host) || allowed.contains(host + ":" + port)) return null;
        return allowed.isEmpty()
                ? "no judge host is configured (llm.trainer.finetune.judge-hosts); judgeUrl cannot be used"
                : "judgeUrl's host " + host + " is not in llm.trainer.finetune.judge-hosts";
    }
}
