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
 * Finds dependency groups in one pass over the graph: every tensor carries feature spaces (the channels or units it
 * indexes; a concat's output carries its inputs' side by side, each from an offset); ops that make features open a
 * space, feature-wise ops pass them on, and an add ties its inputs' spaces together. A space may be pruned when every op
 * that opens it is prunable (conv, dense) and it is not a network output.
 */
final class DependencyGroups {
    private DependencyGroups() {}

    /** One space in a tensor: its positions start at {@code offset}, {@code rowsPerUnit} per unit. */
    private record Segment(int space, long rowsPerUnit, long offset) {}

    private record Touch(String layer, Role role, Segment segment) {}

    static List<DependencyGroup> of(LayerGraph graph) {
        var parent = new ArrayList<Integer>();   // union-find over spaces
        var fixed = new ArrayList<Boolean>();
        var flows = new HashMap<String, List<Segment>>();
        for (String in : graph.inputs().keySet()) {
            flows.put(in, List.of(new Segment(open(parent, fixed, true), 1, 0)));
        }
        var touches = new ArrayList<Touch>();  // in graph order
        for (LayerNode n : graph.nodes()) {
            LayerOp op = n.op();
            List<Segment> in = flows.get(n.inputs().get(0));
            List<Segment> out;
            switch (op.flow()) {
                case CREATES, CREATES_FIXED -> {
                    if (op.consumesFeatures()) for (Segment s : in) touches.add(new Touch(n.name(), Role.CONSUMER, s));
                    out = List.of(new Segment(open(parent, fixed, op.flow() == FeatureFlow.CREATES_FIXED), 1, 0));
                    touches.add(new Touch(n.name(), Role.PRODUCER, out.get(0)));
                }
                case PASSES -> out = in.stream()
                        .map(s -> new Segment(s.space(), op.passedRows(s.rowsPerUnit(), n.inShape()), op.passedOffset(s.offset(), n.inShape())))
                        .toList();
                case MERGES -> {
                    for (String other : n.inputs().subList(1, n.inputs().size())) {
                        List<Segment> theirs = flows.get(other);
                        if (!sameLayout(in, theirs)) {
                            throw new IllegalArgumentException("layer '" + n.name() + "' adds inputs whose channels come from different concats; "
                                    + "squeeze cannot prune that yet");
                        }
                        for (int k = 0; k < in.size(); k++) union(parent, fixed, in.get(k).space(), theirs.get(k).space());
                    }
                    out = in;
                }
                case CONCATENATES -> {
                    var joined = new ArrayList<Segment>();
                    List<Integer> offsets = ConcatOp.offsets(n.inputs().stream().map(i -> graph.shapeOf(i)).toList());
                    for (int k = 0; k < n.inputs().size(); k++) {
                        for (Segment s : flows.get(n.inputs().get(k))) {
                            joined.add(new Segment(s.space(), s.rowsPerUnit(), s.offset() + offsets.get(k)));
                        }
                    }
                    out = List.copyOf(joined);
                }
                default -> throw new IllegalStateException("unknown feature flow " + op.flow());
            }
            if (op.flow() != FeatureFlow.CREATES && op.flow() != FeatureFlow.CREATES_FIXED) {
                for (Segment s : out) touches.add(new Touch(n.name(), Role.FOLLOWER, s));
            }
            flows.put(n.name(), out);
        }
        for (LayerNode out : graph.outputs()) {
            for (Segment s : flows.get(out.name())) fixed.set(find(parent, s.space()), true);
        }

        var bySpace = new LinkedHashMap<Integer, List<Member>>();
        for (Touch t : touches) {
            int root = find(parent, t.segment().space());
            if (fixed.get(root)) continue;
            bySpace.computeIfAbsent(root, k -> new ArrayList<>())
                    .add(new Member(t.layer(), t.role(), t.segment().rowsPerUnit(), t.segment().offset()));
        }
        var groups = new ArrayList<DependencyGroup>();
        for (List<Member> members : bySpace.values()) {
            String first = members.stream().filter(m -> m.role() == Role.PRODUCER).findFirst().orElseThrow().layer();
            LayerOp op = graph.node(first).op();
            groups.add(new DependencyGroup(first, op.unit(), op.unitCount(), members));
        }
        // units internal to an op that makes a fixed space (attention's heads): a group of the op alone
        for (LayerNode n : graph.nodes()) {
            if (n.op().flow() == FeatureFlow.CREATES_FIXED && n.op().unit() != PrunableUnit.NONE) {
                groups.add(new DependencyGroup(n.name(), n.op().unit(), n.op().unitCount(), List.of(new Member(n.name(), Role.PRODUCER, 1))));
            }
        }
        return List.copyOf(groups);
    }

    private static boolean sameLayout(List<Segment> a, List<Segment> b) {
        if (a.size() != b.size()) return false;
        for (int k = 0; k < a.size(); k++) {
            if (a.get(k).offset() != b.get(k).offset() || a.get(k).rowsPerUnit() != b.get(k).rowsPerUnit()) return false;
        }
        return true;
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
