package dev.llmsuite.deploy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a service is, read from the service itself: its HTTP port and the topics it names (its
 * application.properties), the configuration keys it reads (its @ConfigMapping interfaces, loaded
 * from its jar, and the @ConfigProperty names in its sources), and whether it serves health probes.
 */
record ServiceFacts(String name, int httpPort, Set<String> topics, Set<String> configKeys, boolean health) {
    static final List<String> SERVICES = List.of("tokenizer-service", "sampler-service", "trainer-service", "inference-service");
    private static final Pattern CONFIG_PROPERTY = Pattern.compile("@ConfigProperty\\(name = \"([^\"]+)\"");

    static ServiceFacts of(Path root, String name) {
        Path module = root.resolve(name);
        Properties props = new Properties();
        try (var in = Files.newInputStream(module.resolve("src/main/resources/application.properties"))) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> topics = new HashSet<>(), keys = new HashSet<>();
        for (String k : props.stringPropertyNames()) {
            if (k.startsWith("%")) continue;
            keys.add(k);
            if (k.startsWith("mp.messaging.") && k.endsWith(".topic")) topics.add(props.getProperty(k));
        }
        String pkg = "dev/llmsuite/services/" + name.substring(0, name.indexOf('-')) + "/";
        keys.addAll(mappedKeys(pkg));
        keys.addAll(mappedKeys("dev/llmsuite/service/")); // service-support: shared by every service
        for (Path src : List.of(module.resolve("src/main/java"), root.resolve("service-support/src/main/java"))) {
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = CONFIG_PROPERTY.matcher(Files.readString(f));
                    while (m.find()) keys.add(m.group(1));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        boolean health;
        try (Stream<Path> libs = Files.list(module.resolve("target/quarkus-app/lib/main"))) {
            health = libs.anyMatch(p -> p.getFileName().toString().startsWith("io.quarkus.quarkus-smallrye-health-"));
        } catch (IOException e) {
            throw new UncheckedIOException(name + " is not packaged (target/quarkus-app missing)", e);
        }
        return new ServiceFacts(name, Integer.parseInt(props.getProperty("quarkus.http.port")), topics, keys, health);
    }

    /** Whether an environment variable is one of this service's configuration keys (MicroProfile's env mapping). */
    boolean readsEnv(String env) {
        return configKeys.stream().anyMatch(k -> k.toUpperCase().replaceAll("[^A-Z0-9]", "_").equals(env));
    }

    /** Every key of every @ConfigMapping interface in a package of the classpath. */
    private static Set<String> mappedKeys(String pkg) {
        Set<String> keys = new HashSet<>();
        try {
            Enumeration<URL> dirs = ServiceFacts.class.getClassLoader().getResources(pkg);
            while (dirs.hasMoreElements()) {
                URL url = dirs.nextElement();
                List<String> classes = new ArrayList<>();
                if (url.getProtocol().equals("jar")) {
                    try (JarFile jar = ((JarURLConnection) url.openConnection()).getJarFile()) {
                        for (Enumeration<JarEntry> es = jar.entries(); es.hasMoreElements(); ) {
                            String n = es.nextElement().getName();
                            if (n.startsWith(pkg) && n.endsWith(".class") && !n.substring(pkg.length()).contains("/")) classes.add(n);
                        }
                    }
                } else {
                    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
                        files.map(p -> pkg + p.getFileName()).filter(n -> n.endsWith(".class")).forEach(classes::add);
                    }
                }
                for (String c : classes) {
                    Class<?> type;
                    try {
                        type = Class.forName(c.replace('/', '.').replace(".class", ""), false, ServiceFacts.class.getClassLoader());
                        ConfigMapping mapping = type.getAnnotation(ConfigMapping.class);
                        if (mapping != null) collect(type, mapping.prefix(), keys);
                    } catch (ReflectiveOperationException | LinkageError e) {
                        // a class that needs the service's runtime: not a config interface
                    }
                }
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return keys;
    }

    private static void collect(Class<?> type, String prefix, Set<String> keys) {
        for (Method m : type.getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.isDefault()) continue;
            WithName rename = m.getAnnotation(WithName.class);
            String key = prefix + "." + (rename != null ? rename.value() : kebab(m.getName()));
            Class<?> r = m.getReturnType();
            if (r.isInterface() && r.getName().startsWith("dev.llmsuite")) collect(r, key, keys);
            else keys.add(key);
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }
}
