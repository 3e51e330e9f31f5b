package dev.llmsuite.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/**
 * The child JVM: formats a KRaft log directory, starts one combined broker + controller on loopback,
 * creates the requested topics, then prints one {@code READY} line on stdout for the parent.
 *
 * <p>It stops on SIGTERM and also when its standard input reaches end of file, which happens when the
 * parent process dies, however it dies: so a crashed test run or demo never leaves a broker behind.
 *
 * <p>Arguments: {@code --port N} (0 = a free port), {@code --log-dir DIR}, {@code --topics a,b:4,c} (a topic with
 * its own partition count after a colon),
 * {@code --partitions N} (the others').
 */
public final class KafkaBrokerMain {

    static final String READY = "READY bootstrap=";
    static final String FAILED = "FAILED ";

    public static void main(String[] args) {
        PrintStream out = System.out;
        try {
            BrokerArgs a = BrokerArgs.parse(args);
            long started = System.nanoTime();
            KafkaRaftServer server = start(a);
            String bootstrap = "127.0.0.1:" + a.port;
            createTopics(bootstrap, a.topics, a.partitions);
            long ms = (System.nanoTime() - started) / 1_000_000;

            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.shutdown();
                server.awaitShutdown();
                stop.countDown();
            }, "broker-shutdown"));
            watchParent();

            out.println(READY + bootstrap + " ms=" + ms);
            out.flush();
            stop.await();
        } catch (Throwable e) {
            out.println(FAILED + oneLine(e));
            out.flush();
            System.exit(2);
        }
    }

    private static KafkaRaftServer start(BrokerArgs a) throws IOException {
        // A port chosen free can be taken by someone else before we bind it: try a few times.
        for (int attempt = 1; ; attempt++) {
            int port = a.requestedPort == 0 ? freePort() : a.requestedPort;
            int controllerPort = freePort();
            Path dataDir = Files.createDirectories(a.logDir.resolve("kraft-" + attempt));
            Properties props = brokerProperties(port, controllerPort, dataDir, a.partitions);
            Path propsFile = a.logDir.resolve("server-" + attempt + ".properties");
            try (var w = Files.newBufferedWriter(propsFile)) {
                props.store(w, "embedded KRaft broker");
            }
            format(propsFile);
            try {
                KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
                server.startup();
                a.port = port;
                return server;
            } catch (RuntimeException e) {
                boolean bind = causedBy(e, BindException.class);
                if (bind && a.requestedPort != 0) {
                    throw new IllegalStateException("port " + a.requestedPort + " is already in use");
                }
                if (!bind || attempt >= 3) throw e;
            }
        }
    }

    private static Properties brokerProperties(int port, int controllerPort, Path dataDir, int partitions) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        p.put("num.partitions", Integer.toString(partitions));
        p.put("auto.create.topics.enable", "true");
        // One node: every internal topic has a single replica.
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Small and quick: this broker lives for one test run or one demo.
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
        p.put("message.max.bytes", Integer.toString(16 * 1024 * 1024));
        return p;
    }

    private static void format(Path propsFile) {
        String clusterId = Uuid.randomUuid().toString();
        var sink = new ByteArrayOutputStream();
        int rc = StorageTool.execute(new String[] {
                "format", "--config", propsFile.toString(), "--cluster-id", clusterId, "--ignore-formatted"},
                new PrintStream(sink));
        if (rc != 0) throw new IllegalStateException("formatting the KRaft log directory failed: " + sink);
    }

    private static void createTopics(String bootstrap, List<String> topics, int partitions)
            throws InterruptedException, ExecutionException {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            // describeCluster answers only once the broker is registered and unfenced.
            admin.describeCluster().nodes().get();
            List<NewTopic> newTopics = new ArrayList<>();
            for (String t : topics) { // NAME or NAME:PARTITIONS
                int colon = t.indexOf(':');
                newTopics.add(colon < 0 ? new NewTopic(t, partitions, (short) 1)
                        : new NewTopic(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1)), (short) 1));
            }
            if (newTopics.isEmpty()) return;
            try {
                admin.createTopics(newTopics).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) throw e;
            } catch (TimeoutException e) {
                throw new IllegalStateException("creating topics timed out");
            }
        }
    }

    /** Ends this JVM when the parent closes our stdin: it has exited or been killed. */
    private static void watchParent() {
        Thread t = new Thread(() -> {
            try {
                while (System.in.read() >= 0) { /* the parent never writes; we only wait for EOF */ }
            } catch (IOException ignored) {
                // treated like EOF
            }
            System.exit(0);
        }, "parent-watch");
        t.setDaemon(true);
        t.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) if (type.isInstance(t)) return true;
        return false;
    }

    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String msg = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        return msg.replace('\n', ' ');
    }

    /** Parsed command line; {@code port} is filled in once the broker is bound. */
    private static final class BrokerArgs {
        int requestedPort;
        int port;
        Path logDir;
        List<String> topics = List.of();
        int partitions = 1;

        static BrokerArgs parse(String[] args) throws IOException {
            BrokerArgs a = new BrokerArgs();
            for (int i = 0; i < args.length; i++) {
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--port" -> { a.requestedPort = Integer.parseInt(v); i++; }
                    case "--log-dir" -> { a.logDir = Path.of(v); i++; }
                    case "--topics" -> { a.topics = v.isBlank() ? List.of() : List.of(v.split(",")); i++; }
                    case "--partitions" -> { a.partitions = Integer.parseInt(v); i++; }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (a.logDir == null) a.logDir = Files.createTempDirectory("kafka-" + UUID.randomUUID());
            return a;
        }
    }
}
