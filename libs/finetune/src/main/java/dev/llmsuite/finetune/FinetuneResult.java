package dev.llmsuite.finetune;

/** A fine-tuning run's figures: a classifier's ({@link ClassificationRun.Result}) or an instruction model's ({@link InstructionRun.Result}). */
public sealed interface FinetuneResult permits ClassificationRun.Result, InstructionRun.Result {}
