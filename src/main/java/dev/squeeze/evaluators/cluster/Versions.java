package dev.squeeze.evaluators.cluster;

import dev.squeeze.Version;
import dev.squeeze.evaluators.SearchBackends;

import java.io.Serializable;

/**
 * What members of one cluster must agree on: squeeze's version (the code that applies plans) and the rungs version
 * ({@link SearchBackends#RUNGS_VERSION}: how the rungs measure). Each member publishes its own as member attributes;
 * one that finds another member with different versions refuses to work with it.
 */
public record Versions(String squeeze, int rungs) implements Serializable {
    static final String SQUEEZE_ATTRIBUTE = "squeeze.version";
    static final String RUNGS_ATTRIBUTE = "squeeze.rungs";

    /** This build's. */
    public static Versions current() {
        return new Versions(Version.squeeze(), SearchBackends.RUNGS_VERSION);
    }

    /** The versions a member published, or null when it published none (not a squeeze member). */
    static Versions of(com.hazelcast.cluster.Member m) {
        String s = m.getAttribute(SQUEEZE_ATTRIBUTE), r = m.getAttribute(RUNGS_ATTRIBUTE);
        if (s == null || r == null) return null;
        try {
            return new Versions(s, Integer.parseInt(r));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "squeeze " + squeeze + " (rungs version " + rungs + ")";
    }
}
