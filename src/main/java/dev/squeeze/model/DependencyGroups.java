package dev.squeeze.model;

import dev.squeeze.model.DependencyGroup.Member;
import dev.squeeze.model.DependencyGroup.Role;
import dev.squeeze.model.LayerOp.FeatureFlow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds dependency groups in one pass over the graph: every tensor carries a feature space
 * (the channels or units it indexes); ops that make features open a space, feature-wise ops pass
 * it on, and an add ties its inputs' spaces together. A space may be pruned when every op that
 * opens it is prunable (conv, dense) and it is not a network output.
 */
final class DependencyGroups {
    private DependencyGroups() {}

    private record Flow(int space, long rowsPerUnit) {}

    static List<DependencyGroup> of(LayerGraph graph) {
        var parent = new ArrayList<Integer>();   // union-find over spaces
        var fixed = new ArrayList<Boolean>();
        var flows = new HashMap<String, Flow>();
        for (String in : graph.inputs().keySet()) {
            flows.put(in, new Flow(open(parent, fixed, true), 1));
        }
        var touches = new ArrayList<Object[]>();  // {layer, Role, Flow} in graph order
        for (LayerNode n : graph.nodes()) {
            LayerOp op = n.op();
            Flow in = flows.get(n.inputs().get(0));
            switch (op.flow()) {
                case CREATES, CREATES_FIXED -> {
                    if (!(op instanceof EmbeddingOp)) touches.add(new Object[]{n.name(), Role.CONSUMER, in});
                    Flow out = new Flow(open(parent, fixed, op.flow() == FeatureFlow.CREATES_FIXED), 1);
                    flows.put(n.name(), out);
                    touches.add(new Object[]{n.name(), Role.PRODUCER, out});
                }
                case PASSES -> {
                    long rows = op instanceof FlattenOp ? in.rowsPerUnit() * n.inShape().elementsPerFeature()
                            : op instanceof GlobalPoolingOp ? 1 : in.rowsPerUnit();
                    Flow out = new Flow(in.space(), rows);
                    flows.put(n.name(), out);
                    touches.add(new Object[]{n.name(), Role.FOLLOWER, out});
                }
                case MERGES -> {
                    for (String other : n.inputs().subList(1, n.inputs().size())) {
                        union(parent, fixed, in.space(), flows.get(other).space());
                    }
                    Flow out = new Flow(in.space(), in.rowsPerUnit());
                    flows.put(n.name(), out);
                    touches.add(new Object[]{n.name(), Role.FOLLOWER, out});
                }
            }
        }
        for (LayerNode out : graph.outputs()) {
            fixed.set(find(parent, flows.get(out.name()).space()), true);
        }

        var bySpace = new LinkedHashMap<Integer, List<Member>>();
        for (Object[] t : touches) {
            Flow f = (Flow) t[2];
            int root = find(parent, f.space());
            if (fixed.get(root)) continue;
            bySpace.computeIfAbsent(root, k -> new ArrayList<>()).add(new Member((String) t[0], (Role) t[1], f.rowsPerUnit()));
        }
        var groups = new ArrayList<DependencyGroup>();
        for (List<Member> members : bySpace.values()) {
            String first = members.stream().filter(m -> m.role() == Role.PRODUCER).findFirst().orElseThrow().layer();
            LayerOp op = graph.node(first).op();
            groups.add(new DependencyGroup(first, op.unit(), op.unitCount(), members));
        }
        for (LayerNode n : graph.nodes()) {
            if (n.op() instanceof AttentionOp a) {
                groups.add(new DependencyGroup(n.name(), PrunableUnit.HEADS, a.heads(),
                        List.of(new Member(n.name(), Role.PRODUCER, 1))));
            }
        }
        return List.copyOf(groups);
    }

    private static int open(List<Integer> parent, List<Boolean> fixed, boolean isFixed) {
        parent.add(parent.size());
        fixed.add(isFixed);
        return parent.size() - 1;
    }

    private static int find(List<Integer> parent, int x) {
        while (parent.get(x) != x) {
            parent.set(x, parent.get(parent.get(x)));
            x = parent.get(x);
        }
        return x;
    }

    private static void union(List<Integer> parent, List<Boolean> fixed, int a, int b) {
        int ra = find(parent, a), rb = find(parent, b);
        if (ra == rb) return;
        parent.set(rb, ra);
        fixed.set(ra, fixed.get(ra) || fixed.get(rb));
    }
}
