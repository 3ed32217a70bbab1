package dev.squeeze.evaluators.cluster;

import dev.squeeze.SqueezeException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The shared secret of a squeeze cluster ({@value #ENV}). Hazelcast's open-source edition authenticates nobody: a
 * member joins any cluster whose name equals its own. So the name members present is derived from the secret: the
 * user's cluster name plus an HMAC-SHA256 of it keyed by the secret. A member without the secret, or with another
 * one, presents another name and the cluster turns its join request away. The secret itself never travels; the
 * derived name does, in clear, with the rest of Hazelcast's traffic (see docs/ARCHITECTURE.md, "Scaling out").
 */
public final class ClusterSecret {
    public static final String ENV = "SQUEEZE_CLUSTER_SECRET";
    /** Shorter secrets are refused: the derived name is only as hard to guess as the secret. */
    static final int MIN_LENGTH = 16;

    private final byte[] key;

    private ClusterSecret(byte[] key) {
        this.key = key;
    }

    /** The secret as given; refused when shorter than {@value #MIN_LENGTH} characters. */
    public static ClusterSecret of(String secret) {
        if (secret.length() < MIN_LENGTH) {
            throw new SqueezeException(ENV + " is " + secret.length() + " characters long; use at least " + MIN_LENGTH
                    + ", e.g. the output of `openssl rand -hex 16`, the same on every worker and the search");
        }
        return new ClusterSecret(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** The secret in {@value #ENV}, if set and not empty. */
    public static Optional<ClusterSecret> fromEnvironment() {
        String s = System.getenv(ENV);
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(of(s));
    }

    /** The cluster name members present at join: {@code name}, or {@code name-<HMAC of name>} with a secret. */
    static String clusterName(String name, Optional<ClusterSecret> secret) {
        return secret.map(s -> name + "-" + s.hmac("squeeze-cluster/v1:" + name).substring(0, 32)).orElse(name);
    }

    private String hmac(String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "ClusterSecret[hidden]";
    }
}
