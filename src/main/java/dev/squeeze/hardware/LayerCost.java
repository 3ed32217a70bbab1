package dev.squeeze.hardware;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * One layer's predicted cost under a plan on a device, at the costed batch.
 *
 * @param format    the format it computes in ({@code int8}, {@code fp32}, ...)
 * @param bound     whether compute or memory traffic sets its time
 * @param latencyMs time including kernel overhead; 0 for layers fused into their producer
 * @param energyMj  compute + off-chip traffic + the static power's share over this layer's time
 * @param macs      multiply-accumulates after pruning, for the whole batch
 * @param bytes     off-chip bytes moved (weights not held on-chip, plus activations)
 * @param fusedInto the layer this one runs inside (batchnorm/activation after a conv), or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LayerCost(String name, String type, String format, Bound bound, double latencyMs, double energyMj,
                        long macs, long bytes, int weightBits, int actBits, String fusedInto) {

    public enum Bound {
        COMPUTE, MEMORY;

        @JsonValue
        public String key() {
            return this == COMPUTE ? "compute" : "memory";
        }
    }
}
