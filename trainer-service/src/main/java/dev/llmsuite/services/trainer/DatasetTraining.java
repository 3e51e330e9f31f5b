package dev.llmsuite.services.trainer;

/** What the trainer knows of one dataset's run: shown over HTTP and written into checkpoints. */
final class DatasetTraining {
    final String dataset;
    final String vocabularyHash;
    final UnigramModel model;
    long steps;
    long tokens;
    double lastLoss = Double.NaN;
    double lastValidationLoss = Double.NaN;
    String lastCheckpoint;

    DatasetTraining(String dataset, String vocabularyHash, int vocabSize) {
        this.dataset = dataset;
        this.vocabularyHash = vocabularyHash;
        this.model = new UnigramModel(vocabSize);
    }

    TrainingStatus status() {
        return new TrainingStatus(dataset, vocabularyHash, steps, tokens, lastLoss, lastValidationLoss, lastCheckpoint);
    }
}
