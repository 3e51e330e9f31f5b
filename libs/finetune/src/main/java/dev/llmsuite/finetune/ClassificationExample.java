package dev.llmsuite.finetune;

/** A text and its class label (e.g. "ham" / "spam"). */
public record ClassificationExample(String text, String label) {}
