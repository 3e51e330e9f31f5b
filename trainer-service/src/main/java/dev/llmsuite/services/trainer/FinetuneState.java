package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.annotation.JsonValue;

/** Where a fine-tuning job is, in order; JSON shows the lower-case name. */
public enum FinetuneState {
    /** Its dataset has not been closed on finetune.examples yet. */
    WAITING,
    /** Ready, behind another job on the one fine-tuning thread. */
    QUEUED,
    RUNNING,
    /** An instruction job answering its test prompts. */
    RESPONDING,
    /** An instruction job's answers being scored by the judge. */
    JUDGING,
    COMPLETED,
    FAILED;

    @JsonValue
    public String text() {
        return name().toLowerCase();
    }
}
