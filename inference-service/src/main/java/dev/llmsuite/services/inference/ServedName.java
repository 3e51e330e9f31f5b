package dev.llmsuite.services.inference;

import dev.llmsuite.records.Names;
import dev.llmsuite.service.ProblemException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model as a request names it: {@code NAME} (its promoted checkpoint, or its newest while none is promoted),
 * {@code NAME@latest} (its newest) or {@code NAME@step-N} (that step, while it is on disk); any of them may end in
 * {@code +ADAPTER} (a LoRA adapter on those weights).
 */
record ServedName(String model, Tag tag, long step) {

    enum Tag { PROMOTED, LATEST, STEP }

    private static final Pattern STEP = Pattern.compile("step-(\\d{1,18})");

    /** The name, or a 400 saying what a name may be; an unknown but well-formed model is the caller's 404. */
    static ServedName parse(String name) {
        int at = name.indexOf('@');
        if (at < 0) return new ServedName(name, Tag.PROMOTED, -1);
        String model = name.substring(0, at);
        String tag = name.substring(at + 1);
        if (!Names.valid(model)) throw ProblemException.badRequest("model name must be " + Names.RULE + ", got " + Names.quoted(model));
        if (tag.equals("latest")) return new ServedName(model, Tag.LATEST, -1);
        Matcher m = STEP.matcher(tag);
        if (m.matches()) return new ServedName(model, Tag.STEP, Long.parseLong(m.group(1)));
        throw ProblemException.badRequest("after '@' a model name takes 'latest' or 'step-N', got " + Names.quoted(tag));
    }

    String id() {
        return switch (tag) {
            case PROMOTED -> model;
            case LATEST -> model + "@latest";
            case STEP -> model + "@step-" + step;
        };
    }
}
