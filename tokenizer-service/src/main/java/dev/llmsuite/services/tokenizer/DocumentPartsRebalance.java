package dev.llmsuite.services.tokenizer;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.Collection;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * When the consumer group takes partitions of {@code corpus.documents} from this replica, the documents it holds in
 * parts from them are dropped: their parts were never acknowledged, so the partitions' new reader gets them from Kafka.
 */
@ApplicationScoped
@Identifier(DocumentPartsRebalance.NAME)
public class DocumentPartsRebalance implements KafkaConsumerRebalanceListener {
    static final String NAME = "tokenizer-document-parts";

    private final Instance<DocumentTokenizer> tokenizer; // looked up late: the listener is made before the channel's bean

    DocumentPartsRebalance(Instance<DocumentTokenizer> tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        tokenizer.get().forgetParts(partitions.stream().map(TopicPartition::partition).collect(Collectors.toSet()));
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        onPartitionsRevoked(consumer, partitions);
    }
}
