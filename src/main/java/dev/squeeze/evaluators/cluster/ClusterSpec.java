package dev.squeeze.evaluators.cluster;

import java.util.List;

/**
 * Where a search's rungs run: on this machine ({@link #local()}), or on the squeeze workers of the cluster
 * {@code name} reached through {@code members} ({@code --cluster HOST:PORT[,...]}, {@code cluster:} in a job).
 */
public record ClusterSpec(String name, List<Endpoint> members) {
    public static final String DEFAULT_NAME = "squeeze";
    /** What {@code --cluster} takes to run on this machine (e.g. to resume a cluster run whose workers are gone). */
    public static final String LOCAL = "local";

    public ClusterSpec {
        members = List.copyOf(members);
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new dev.squeeze.SqueezeException("cluster name '" + name + "' must be 1 to 64 letters, digits, '.', '_' or '-'");
        }
    }

    public static ClusterSpec local() {
        return new ClusterSpec(DEFAULT_NAME, List.of());
    }

    /** {@code local}, or {@code HOST:PORT[,HOST:PORT...]} in the cluster {@code name} (null: {@value #DEFAULT_NAME}). */
    public static ClusterSpec parse(String members, String name, String where) {
        String n = name == null ? DEFAULT_NAME : name;
        if (members.trim().equals(LOCAL)) return new ClusterSpec(n, List.of());
        return new ClusterSpec(n, Endpoint.parseList(members, where));
    }

    public boolean isLocal() {
        return members.isEmpty();
    }

    /** The members as {@code --cluster} takes them. */
    public String membersText() {
        return isLocal() ? LOCAL : String.join(",", members.stream().map(Endpoint::toString).toList());
    }
}
