package dev.llmsuite.records;

/** Which part of a dataset a batch belongs to. */
public enum Split {
    TRAIN, VALIDATION;

    public String topic() {
        return this == TRAIN ? Topics.TRAIN_BATCHES : Topics.VAL_BATCHES;
    }
}
