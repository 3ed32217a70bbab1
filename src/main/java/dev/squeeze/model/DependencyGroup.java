package dev.squeeze.model;

import java.util.List;

/**
 * Layers whose pruned dimension must match. Pruning removes the same {@code units} indices from
 * every producer's output, every follower's features, and every consumer's input rows.
 *
 * @param id       the first producer's name (heads groups: the attention layer's name)
 * @param unit     what is removed
 * @param units    how many units the group has
 * @param members  producers, followers and consumers in graph order
 */
public record DependencyGroup(String id, PrunableUnit unit, int units, List<Member> members) {
    public DependencyGroup {
        members = List.copyOf(members);
    }

    /** How a layer takes part in a group. */
    public enum Role { PRODUCER, FOLLOWER, CONSUMER }

    /**
     * @param rowsPerUnit for consumers, input rows per unit: {@code H*W} for a dense layer after a
     *                    channel-major flatten (unit {@code c} owns rows {@code c*H*W ...}), else 1
     * @param offset      the position of the group's first unit along the member's feature axis: 0, except after a
     *                    concat, where the group's features follow those of the inputs before it
     */
    public record Member(String layer, Role role, long rowsPerUnit, long offset) {
        public Member(String layer, Role role, long rowsPerUnit) {
            this(layer, role, rowsPerUnit, 0);
        }
    }

    public List<String> layers(Role role) {
        return members.stream().filter(m -> m.role() == role).map(Member::layer).toList();
    }

    public List<String> producers() {
        return layers(Role.PRODUCER);
    }
}
