package dev.llmsuite.services.trainer;

import dev.llmsuite.records.Names;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The offset metadata the trainer commits with each partition of {@code train.batches}: which checkpoint step
 * each job on the partition has, as {@code job:step,job:step}. The commit and this text are one atomic write to
 * the group coordinator, so a replica that takes the partition over resumes each job from exactly the checkpoint
 * its committed offset belongs to (never from a newer directory that a replica which lost the job wrote).
 *
 * <p>Kafka keeps up to {@code offset.metadata.max.bytes} (4096 by default) per partition: about 150 jobs of
 * 20-character ids. Jobs beyond that are left out, and resume from their newest checkpoint (the single-replica rule).
 */
final class CommittedSteps {
    private static final Logger LOG = Logger.getLogger(CommittedSteps.class);
    static final int MAX_CHARS = 4000;

    private CommittedSteps() {}

    static String format(Map<String, Long> steps) {
        StringBuilder out = new StringBuilder();
        for (var e : steps.entrySet()) {
            String entry = e.getKey() + ":" + e.getValue();
            if (out.length() + entry.length() + 1 > MAX_CHARS) {
                LOG.warnf("the offset metadata has room for %d of %d jobs' steps; the others resume from their newest checkpoint",
                        out.toString().split(",").length, steps.size());
                break;
            }
            if (!out.isEmpty()) out.append(',');
            out.append(entry);
        }
        return out.toString();
    }

    /**
     * What a commit's metadata names. Anyone who can commit to the group can write it: entries that are not
     * {@code id:step} with a valid job id and a positive step are ignored.
     */
    static Map<String, Long> parse(String metadata) {
        Map<String, Long> steps = new LinkedHashMap<>();
        if (metadata == null || metadata.isBlank()) return steps;
        for (String entry : metadata.split(",")) {
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) continue;
            try {
                long step = Long.parseLong(entry.substring(colon + 1));
                String id = entry.substring(0, colon);
                if (step > 0 && Names.valid(id)) steps.put(id, step);
            } catch (NumberFormatException ignored) {
                // not ours
            }
        }
        return steps;
    }
}
