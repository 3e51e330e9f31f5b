package dev.llmsuite.services.inference;

import dev.llmsuite.records.CheckpointAnnouncement;

/** A checkpoint that passed its hash check and is being served. */
record LoadedModel(String name, CheckpointAnnouncement checkpoint, long tokensSeen, long loadedAtMillis) {
}
