package dev.llmsuite.services.sampler;

import io.quarkus.runtime.annotations.RegisterForReflection;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.apache.kafka.streams.processor.FailOnInvalidTimestamp;
import org.apache.kafka.streams.processor.assignment.assignors.StickyTaskAssignor;
import org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier;
import org.apache.kafka.streams.processor.internals.StreamsPartitionAssignor;
import org.apache.kafka.streams.processor.internals.assignment.FallbackPriorTaskAssignor;
import org.apache.kafka.streams.processor.internals.assignment.HighAvailabilityTaskAssignor;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

/**
 * What a native image of this service needs that Quarkus cannot see: Kafka Streams makes these classes by name from
 * its configuration (its defaults and ours: {@link BoundedRocksDbMemory}), and writes its state directory's process
 * file with Jackson. Quarkus' kafka-streams extension would register them; this service runs Kafka Streams as a
 * plain library (docs/native.md says why), so it says them here. RocksDB's part (its JNI callbacks and its shared
 * library as a resource) is in META-INF/native-image/dev.llmsuite/sampler-service and application.properties.
 */
@RegisterForReflection(targets = {
        BoundedRocksDbMemory.class,
        StreamsPartitionAssignor.class, DefaultKafkaClientSupplier.class, FailOnInvalidTimestamp.class,
        LogAndFailExceptionHandler.class, LogAndFailProcessingExceptionHandler.class, DefaultProductionExceptionHandler.class,
        HighAvailabilityTaskAssignor.class, FallbackPriorTaskAssignor.class, StickyTaskAssignor.class,
        BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers.class, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class},
        classNames = "org.apache.kafka.streams.processor.internals.StateDirectory$StateDirectoryProcessFile")
final class NativeRegistrations {
    private NativeRegistrations() {}
}
