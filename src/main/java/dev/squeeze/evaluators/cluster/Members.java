package dev.squeeze.evaluators.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.squeeze.SqueezeException;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How squeeze starts a Hazelcast member, worker or search, and what it checks before it works with the others.
 *
 * <ul>
 * <li>Network: one member endpoint bound to the given interface only (no wildcard bind), TCP/IP join to the listed
 *     members, multicast and auto-detection off. No client, REST or memcache endpoint exists, so nothing but a member
 *     can connect. Hazelcast's phone-home (usage statistics sent to its vendor) is off.</li>
 * <li>Who joins: the cluster name members present is derived from the shared secret ({@link ClusterSecret}); Hazelcast
 *     turns away a join request with another name. A member on a non-loopback interface needs a secret.</li>
 * <li>What may be deserialised: Java serialisation only of squeeze's cluster messages and the JDK types they hold, so a
 *     member that got in cannot send a gadget chain.</li>
 * <li>Versions: every member publishes {@link Versions} and its role; a starting member that finds a squeeze member
 *     of other versions leaves at once with an error naming it, and running members never hand it work.</li>
 * </ul>
 */
final class Members {
    private Members() {}

    enum Role { WORKER, SEARCH }

    static final String ROLE_ATTRIBUTE = "squeeze.role";
    static final String THREADS_ATTRIBUTE = "squeeze.threads";
    /** Plans to evaluate run here (a worker's pool has one thread per {@code --threads}). */
    static final String EVALUATE = "squeeze-evaluate";
    /** Where workers ask the search for the files a workload needs. */
    static final String FETCH = "squeeze-fetch";
    /** Accuracy results by result key, shared by every member (one backup copy). */
    static final String RESULTS = "squeeze-results";

    /**
     * One member's settings.
     *
     * @param name    the cluster's name as users give it (the presented name is derived from it and the secret)
     * @param bind    the interface to listen on; without a port, the first free one from {@value Endpoint#FIRST_PORT}
     * @param join    members to join through (may be empty for the first worker)
     * @param threads plans this member evaluates at once (0 for the search, which evaluates none)
     */
    record Settings(Role role, String name, Optional<ClusterSecret> secret, Endpoint bind, List<Endpoint> join, int threads,
                    Versions versions) {
        Settings {
            join = List.copyOf(join);
        }
    }

    /**
     * Refuses, before any socket is opened, an interface a member must not listen on: a wildcard, or a non-loopback
     * address without a secret (on loopback only this machine's processes can connect).
     */
    static InetAddress checkBind(Endpoint bind, Optional<ClusterSecret> secret, String option) {
        InetAddress address = bind.address(option);
        if (address.isAnyLocalAddress()) {
            throw new SqueezeException(option + " " + bind + " would listen on every interface; give the address of the one other members reach, e.g. "
                    + "the machine's address on the cluster's network");
        }
        if (!address.isLoopbackAddress() && secret.isEmpty()) {
            throw new SqueezeException(option + " " + bind + " is not a loopback address, and members there need a shared secret: set "
                    + ClusterSecret.ENV + " (the same on every worker and the search, e.g. from `openssl rand -hex 16`), or bind 127.0.0.1");
        }
        return address;
    }

    /**
     * Hazelcast's logging goes through SLF4J, errors only (squeeze prints its own line for a member joining or leaving,
     * where Hazelcast would print a warning with a stack trace), except the two loggers that say why a member was turned
     * away at join (another cluster name, i.e. another secret). JVM properties, so they must be set before Hazelcast makes
     * its first logger; a {@code -D} the user gave wins.
     */
    private static synchronized void quietLogging() {
        setIfAbsent("hazelcast.logging.type", "slf4j");
        setIfAbsent("org.slf4j.simpleLogger.log.com.hazelcast", "error");
        setIfAbsent("org.slf4j.simpleLogger.log.com.hazelcast.cluster", "warn"); // "Node could not join cluster ...: different cluster-name"
        setIfAbsent("org.slf4j.simpleLogger.log.com.hazelcast.internal.cluster.impl.ClusterJoinManager", "warn"); // "Received an invalid join request"
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    /** Starts the member, checks the versions of the members it joined, and returns it (the caller shuts it down). */
    static HazelcastInstance start(Settings s, Map<String, Object> userContext) {
        InetAddress bind = checkBind(s.bind(), s.secret(), s.role() == Role.WORKER ? "--bind" : "the search's address");
        quietLogging();
        HazelcastInstance hz;
        try {
            hz = Hazelcast.newHazelcastInstance(config(s, bind, userContext));
        } catch (RuntimeException e) {
            throw new SqueezeException("cannot start a cluster member on " + s.bind() + ": " + oneLine(e)
                    + (s.bind().port().isPresent() ? " (is the port in use? leave it out to take the first free one)" : ""));
        }
        try {
            checkVersions(hz, s.versions());
        } catch (RuntimeException e) {
            hz.shutdown();
            throw e;
        }
        return hz;
    }

    static Config config(Settings s, InetAddress bind, Map<String, Object> userContext) {
        Config c = new Config();
        c.setClusterName(ClusterSecret.clusterName(s.name(), s.secret()));
        c.setInstanceName("squeeze-" + s.role().name().toLowerCase(java.util.Locale.ROOT) + "-" + java.util.UUID.randomUUID());
        c.setLiteMember(s.role() == Role.SEARCH); // the search holds no share of the results map: it may come and go
        c.getUserContext().putAll(userContext);
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        // squeeze leaves the cluster itself (a worker on SIGTERM); a kill is what the others must survive anyway
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        // small clusters: process join requests after 1 s, not 5; notice a member that stopped answering in 20 s, not 60
        c.setProperty("hazelcast.wait.seconds.before.join", "1");
        c.setProperty("hazelcast.heartbeat.interval.seconds", "2");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "20");
        // two clusters formed apart (a worker started before any member it names) find and merge into each other
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
        c.getMemberAttributeConfig().setAttribute(Versions.SQUEEZE_ATTRIBUTE, s.versions().squeeze());
        c.getMemberAttributeConfig().setAttribute(Versions.RUNGS_ATTRIBUTE, Integer.toString(s.versions().rungs()));
        c.getMemberAttributeConfig().setAttribute(ROLE_ATTRIBUTE, s.role().name());
        c.getMemberAttributeConfig().setAttribute(THREADS_ATTRIBUTE, Integer.toString(s.threads()));

        var network = c.getAdvancedNetworkConfig().setEnabled(true); // member endpoint only: no client/REST/memcache port
        var member = new ServerSocketEndpointConfig()
                .setPort(s.bind().portOrFirst())
                .setPortAutoIncrement(s.bind().port().isEmpty())
                .setInterfaces(new InterfacesConfig().setEnabled(true).addInterface(bind.getHostAddress()));
        member.setPortCount(100);
        network.setMemberEndpointConfig(member);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        var tcp = join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(3);
        for (Endpoint e : s.join()) tcp.addMember(e.host() + ":" + e.portOrFirst());

        c.getExecutorConfig(EVALUATE).setPoolSize(Math.max(1, s.threads()));
        c.getExecutorConfig(FETCH).setPoolSize(2);
        c.getMapConfig(RESULTS).setBackupCount(1);
        // Hazelcast's default whitelist admits every java.* class (enough for known gadget chains): squeeze's is its own
        // messages, Hazelcast's classes, the JDK types those messages hold, and the exceptions Hazelcast sends back
        c.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig().setDefaultsDisabled(true)
                .setWhitelist(new ClassFilter().addPrefixes(Members.class.getPackageName() + ".", "com.hazelcast.")
                        .addClasses("java.lang.String", "java.lang.Integer", "java.lang.Long", "java.lang.Double", "java.lang.Number",
                                "java.lang.Boolean", "[B", "java.lang.Throwable", "java.lang.Exception", "java.lang.RuntimeException",
                                "java.lang.SecurityException", "java.lang.IllegalStateException", "java.lang.IllegalArgumentException",
                                "java.lang.StackTraceElement", "[Ljava.lang.StackTraceElement;", "java.util.Collections$EmptyList",
                                "java.util.Collections$UnmodifiableRandomAccessList", "java.util.Collections$UnmodifiableList",
                                "java.util.Collections$UnmodifiableCollection", "java.util.ArrayList")));
        return c;
    }

    /** Throws, naming the member, when a squeeze member of the cluster runs other versions than {@code mine}. */
    static void checkVersions(HazelcastInstance hz, Versions mine) {
        for (Member m : hz.getCluster().getMembers()) {
            if (m.localMember()) continue;
            Versions theirs = Versions.of(m);
            if (theirs == null) {
                throw new SqueezeException("cluster member " + address(m) + " is not a squeeze member (it publishes no squeeze version): "
                        + "give the cluster a name of its own (--cluster-name)");
            }
            if (!theirs.equals(mine)) {
                throw new SqueezeException("cluster member " + address(m) + " runs " + theirs + " and this is " + mine
                        + ": members of one cluster must run the same squeeze; upgrade the older ones");
            }
        }
    }

    /** A squeeze worker of this member's versions: one the search may send plans to. */
    static boolean isWorker(Member m, Versions mine) {
        return !m.isLiteMember() && Role.WORKER.name().equals(m.getAttribute(ROLE_ATTRIBUTE)) && mine.equals(Versions.of(m));
    }

    /** Plans a worker evaluates at once. */
    static int threads(Member m) {
        try {
            return Math.max(1, Integer.parseInt(m.getAttribute(THREADS_ATTRIBUTE)));
        } catch (NumberFormatException | NullPointerException e) {
            return 1;
        }
    }

    /** {@code host:port}: how squeeze names a member in progress lines, trials and reports. */
    static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }

    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return msg.lines().findFirst().orElse(msg);
    }
}
