package dev.squeeze.model;

/**
 * What one execution of an op costs, as typed data a cost model prices with a device profile: its kind of kernel and
 * its work as functions of two kept fractions, x (of the input features its dependency group keeps) and y (of its own
 * output units or heads, or for a feature-wise op of the features it passes). All figures are per example at full width:
 * {@code macs = macsXY * x * y + macsY * y}, {@code params = paramsXY * x * y + paramsY * y + params0}.
 *
 * @param kind              how the op runs
 * @param kernels           kernel launches
 * @param macsXY            MACs that scale with both fractions
 * @param macsY             MACs that scale with y only
 * @param paramsXY          parameters that scale with both fractions
 * @param paramsY           parameters that scale with y only
 * @param params0           parameters that stay
 * @param scalesY           per-channel quantisation scales that scale with y
 * @param scales0           per-channel scales that stay
 * @param blockRowsY        rows of a block-quantised weight (MatMulNBits) whose count scales with y and whose reduction
 *                          ({@code blockKX}) scales with x
 * @param blockKX           that weight's reduction length
 * @param blockRows0        rows of a block-quantised weight that stay, whose reduction ({@code blockKY}) scales with y
 * @param blockKY           that weight's reduction length
 * @param baseN             output columns of the matrix product (before alignment padding)
 * @param baseK             its reduction length
 * @param positions         output rows of the matrix product (positions per example)
 * @param outputScales      whether the output size scales with y (attention's output width does not)
 * @param readsInput        whether reading the input costs memory traffic (an embedding's token ids are negligible)
 * @param fusesIntoProducer whether a deployment runtime fuses the op into the op before it (batch norms and activations
 *                          after a convolution or matrix product)
 * @param takesFusion       whether such an op after this one fuses into it (not into a reshape, a lookup or a concat)
 */
public record CostTerms(Kind kind, int kernels, double macsXY, double macsY, double paramsXY, double paramsY, double params0,
                        double scalesY, double scales0, double blockRowsY, double blockKX, double blockRows0, double blockKY,
                        double baseN, double baseK, double positions, boolean outputScales, boolean readsInput,
                        boolean fusesIntoProducer, boolean takesFusion) {

    /** How an op runs. */
    public enum Kind {
        /** A matrix product (convolution, dense, attention): roofline of compute and weight traffic. */
        MATMUL,
        /** A table lookup: traffic of the rows read. */
        GATHER,
        /** Reads its input and writes its output once (pooling, normalisation, activation, add, concat). */
        ELEMENTWISE,
        /** A reshape: no kernel, no traffic. */
        VIEW
    }

    /** A parameter-free feature-wise op. */
    public static CostTerms elementwise() {
        return builder(Kind.ELEMENTWISE).build();
    }

    /** A feature-wise op whose {@code params} scale with the features it passes (normalisation). */
    public static CostTerms elementwise(double params) {
        return builder(Kind.ELEMENTWISE).paramsY(params).build();
    }

    public static Builder builder(Kind kind) {
        return new Builder(kind);
    }

    /** Terms of a matrix product or any other op; unset figures are 0, one kernel, output scaling with y, input read. */
    public static final class Builder {
        private final Kind kind;
        private int kernels = 1;
        private double macsXY, macsY, paramsXY, paramsY, params0, scalesY, scales0, blockRowsY, blockKX, blockRows0, blockKY,
                baseN, baseK, positions;
        private boolean outputScales = true, readsInput = true, fusesIntoProducer, takesFusion;

        private Builder(Kind kind) {
            this.kind = kind;
            if (kind == Kind.VIEW) kernels = 0;
            takesFusion = kind == Kind.MATMUL || kind == Kind.ELEMENTWISE;
        }

        public Builder kernels(int v) { kernels = v; return this; }
        public Builder macsXY(double v) { macsXY = v; return this; }
        public Builder macsY(double v) { macsY = v; return this; }
        public Builder paramsXY(double v) { paramsXY = v; return this; }
        public Builder paramsY(double v) { paramsY = v; return this; }
        public Builder params0(double v) { params0 = v; return this; }
        public Builder scalesY(double v) { scalesY = v; return this; }
        public Builder scales0(double v) { scales0 = v; return this; }
        /** A block-quantised weight of {@code rows} rows (scaling with y) over a reduction of {@code k} (scaling with x). */
        public Builder blockedY(double rows, double k) { blockRowsY = rows; blockKX = k; return this; }
        /** A block-quantised weight of fixed {@code rows} over a reduction of {@code k} that scales with y. */
        public Builder blocked0(double rows, double k) { blockRows0 = rows; blockKY = k; return this; }
        /** The matrix product's shape: {@code n} output columns, reduction {@code k}, {@code positions} rows per example. */
        public Builder matrix(double n, double k, double positions) { baseN = n; baseK = k; this.positions = positions; return this; }
        public Builder fixedOutput() { outputScales = false; return this; }
        public Builder noInputTraffic() { readsInput = false; return this; }
        public Builder fusesIntoProducer() { fusesIntoProducer = true; return this; }
        public Builder takesNoFusion() { takesFusion = false; return this; }

        public CostTerms build() {
            return new CostTerms(kind, kernels, macsXY, macsY, paramsXY, paramsY, params0, scalesY, scales0, blockRowsY, blockKX,
                    blockRows0, blockKY, baseN, baseK, positions, outputScales, readsInput, fusesIntoProducer, takesFusion);
        }
    }
}
