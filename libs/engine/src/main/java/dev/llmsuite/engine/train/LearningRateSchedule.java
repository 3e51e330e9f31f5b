package dev.llmsuite.engine.train;

/**
 * Linear warm-up from initialLr to peakLr over warmupSteps, then cosine decay to minLr at totalSteps,
 * as the book's appendix D trains. Steps past totalSteps stay at minLr.
 */
public record LearningRateSchedule(double initialLr, double peakLr, double minLr, int warmupSteps, int totalSteps) {

    public LearningRateSchedule {
        if (warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("need 0 <= warmup <= total steps, total > 0");
        }
    }

    public static LearningRateSchedule constant(double lr) {
        return new LearningRateSchedule(lr, lr, lr, 0, 1);
    }

    /** The learning rate for step (0-based). */
    public double at(int step) {
        if (step < warmupSteps) return initialLr + (peakLr - initialLr) * step / warmupSteps;
        if (step >= totalSteps) return minLr;
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
