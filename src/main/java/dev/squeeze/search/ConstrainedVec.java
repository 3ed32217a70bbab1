package dev.squeeze.search;

import io.jenetics.ext.moea.ElementComparator;
import io.jenetics.ext.moea.ElementDistance;
import io.jenetics.ext.moea.Vec;

import java.util.Arrays;
import java.util.Comparator;

/**
 * A fitness vector with constrained domination (Deb 2002): a feasible point dominates an infeasible
 * one, of two infeasible points the less violating dominates, and feasible points compare by Pareto
 * dominance. Objectives are stored in "larger is better" form (minimised ones negated), which is what
 * Jenetics' NSGA-II expects; crowding distance uses the objectives only.
 */
record ConstrainedVec(double[] data, double violation) implements Vec<double[]> {
    private static final ElementComparator<double[]> COMPARATOR = (u, v, i) -> Double.compare(u[i], v[i]);
    private static final ElementDistance<double[]> DISTANCE = (u, v, i) -> u[i] - v[i];

    ConstrainedVec {
        data = data.clone();
    }

    @Override
    public int length() {
        return data.length;
    }

    @Override
    public ElementComparator<double[]> comparator() {
        return COMPARATOR;
    }

    @Override
    public ElementDistance<double[]> distance() {
        return DISTANCE;
    }

    /** Pareto dominance on the data arrays; violation is handled in {@link #dominance(Vec)}. */
    @Override
    public Comparator<double[]> dominance() {
        return Vec::dominance;
    }

    @Override
    public int dominance(Vec<double[]> other) {
        double ov = other instanceof ConstrainedVec c ? c.violation : 0;
        if (violation > 0 || ov > 0) return Double.compare(ov, violation); // less violation dominates
        return Vec.dominance(data, other.data());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConstrainedVec c && Arrays.equals(data, c.data) && violation == c.violation;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(data) + Double.hashCode(violation);
    }

    @Override
    public String toString() {
        return Arrays.toString(data) + (violation > 0 ? " violation " + violation : "");
    }
}
