package dev.llmsuite.services.trainer;

import dev.llmsuite.records.Topics;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.service.ReplicaForwarding;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The other trainer replicas, as the consumer group knows them: each member's client id carries its advertised
 * URL ({@code trainer=URL}), and its assignment says which partitions, so which datasets, it trains. A request for
 * a job another replica holds is forwarded there once (marked, so it is never forwarded again), with the caller's
 * API key; what that replica answers is answered. No registry of our own: membership is Kafka's.
 */
@ApplicationScoped
public class TrainerReplicas {
    /** Set on a forwarded request: answer from this replica's own jobs, do not forward again. */
    static final String FORWARDED = ReplicaForwarding.FORWARDED;
    static final String CLIENT_ID_PREFIX = "trainer=";
    private static final Pattern ADVERTISED = Pattern.compile(Pattern.quote(CLIENT_ID_PREFIX) + "(https?://[^\\s,]+?:\\d+)");
    private static final long MEMBERS_FRESH_NANOS = 1_000_000_000L;

    private final String bootstrapServers;
    private final String group;
    private final String self;
    private final ReplicaForwarding forwarding = new ReplicaForwarding();
    /** One admin client for the service's life (made on first use): a client per request costs a connection each. */
    private Admin admin;
    /** The members as last read, and when: a burst of requests asks the group once a second at most. */
    private List<Replica> members;
    private long membersReadAt;

    TrainerReplicas(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                    @ConfigProperty(name = "mp.messaging.incoming.batches.group.id") String group, TrainerConfig config) {
        this.bootstrapServers = bootstrapServers;
        this.group = group;
        this.self = config.advertisedUrl();
    }

    /** A group member: where it answers (empty when its client id does not say), and the batch partitions it owns. */
    record Replica(Optional<String> url, List<Integer> partitions) {}

    /** The group's members (this replica included), at most a second old. */
    synchronized List<Replica> members() {
        if (members != null && System.nanoTime() - membersReadAt < MEMBERS_FRESH_NANOS) return members;
        if (admin == null) {
            admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers, "request.timeout.ms", 10_000, "default.api.timeout.ms", 10_000));
        }
        try {
            var described = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            List<Replica> out = new ArrayList<>();
            for (MemberDescription m : described.members()) {
                Matcher url = ADVERTISED.matcher(m.clientId());
                List<Integer> owned = m.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(Topics.TRAIN_BATCHES))
                        .map(TopicPartition::partition).sorted().toList();
                out.add(new Replica(url.find() ? Optional.of(url.group(1)) : Optional.empty(), owned));
            }
            members = List.copyOf(out);
            membersReadAt = System.nanoTime();
            return members;
        } catch (Exception e) {
            throw new ProblemException(503, "cannot read the trainers' consumer group from Kafka: " + e.getMessage());
        }
    }

    /** The other replicas that say where they answer. */
    List<String> others() {
        return members().stream().flatMap(r -> r.url().stream()).filter(u -> !u.equals(self)).distinct().toList();
    }

    /** The URL of the replica that owns this partition: 503 when none does now (a rebalance) or it does not say where. */
    String ownerOf(int partition) {
        for (Replica r : members()) {
            if (!r.partitions().contains(partition)) continue;
            return r.url().orElseThrow(() -> new ProblemException(503, "the replica that owns partition " + partition
                    + " of train.batches does not say where it answers (its client id carries no " + CLIENT_ID_PREFIX + "URL)"));
        }
        throw new ProblemException(503, "no trainer replica owns partition " + partition + " of train.batches right now"
                + " (a rebalance); try again shortly");
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) admin.close(Duration.ofSeconds(5));
    }

    /** Sends the request to a replica, once, with the caller's API key. */
    ReplicaForwarding.Answer forward(String baseUrl, String method, String pathAndQuery, String jsonBody, String authorization) {
        return forwarding.forward(baseUrl, method, pathAndQuery, jsonBody, authorization);
    }
}
