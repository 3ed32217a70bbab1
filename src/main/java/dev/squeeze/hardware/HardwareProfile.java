package dev.squeeze.hardware;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the cost model knows about a device, read from {@code hardware-profiles/NAME.yaml}. Immutable.
 *
 * @param name              device name ({@code raspberry-pi-4})
 * @param description       one line for {@code profiles list}
 * @param source            where the profile was read from (file or {@code built-in:NAME})
 * @param formats           compute formats the device runs natively, with peak rate, energy and alignment
 * @param efficiency        fraction of peak a real runtime reaches on a large, well-shaped GEMM
 * @param memoryBandwidth   off-chip bytes/s (for an accelerator on a host link: the link)
 * @param kernelOverhead    seconds each kernel launch (or op dispatch) costs regardless of size
 * @param onChipMemory      bytes of on-chip memory that keeps weights between inferences (SRAM, L2, LLC)
 * @param onChipBandwidth   bytes/s at which a kernel reads weights held on-chip (0: not modelled, reads are free);
 *                          on a CPU a batch-1 dense layer is bound by it, one weight read per multiply-accumulate
 * @param memoryCapacity    bytes of device memory a model (weights + live activations) must fit in
 * @param staticPower       watts drawn whether or not the device computes (idle power)
 * @param dramEnergyPerByte picojoules per byte moved off-chip
 * @param computeUnits      parallel units (SMs, cores) one layer's output tiles are spread over
 * @param tileRows          output rows (positions x batch) one unit computes at a time
 * @param tileCols          output columns (channels, units) one unit computes at a time
 * @param weightBits        weight bit-widths the device's runtime can store and run
 * @param activationBits    activation bit-widths the device's runtime can store and run
 * @param activationsOnChip whether activations stay on-chip (no off-chip traffic) as on the Edge TPU
 */
public record HardwareProfile(String name, String description, String source, Map<Format, FormatSpec> formats,
                              double efficiency, double memoryBandwidth, double kernelOverhead, double onChipMemory, double onChipBandwidth,
                              double memoryCapacity, double staticPower, double dramEnergyPerByte, int computeUnits,
                              int tileRows, int tileCols, Set<Integer> weightBits, Set<Integer> activationBits,
                              boolean activationsOnChip) {

    /**
     * One compute format.
     *
     * @param peakOps         peak dense operations/s (one MAC = 2 operations, as datasheets count)
     * @param energyPerMac    picojoules per MAC at this format's native width
     * @param align           channel multiple the format's kernels need for full speed (8 for fp16 tensor cores)
     * @param kernelOverhead  seconds a kernel in this format costs regardless of size (the profile's
     *                        {@code kernel_overhead} unless the format gives its own: integer kernels on a CPU
     *                        runtime carry requantisation and layout work a float kernel does not)
     * @param rowOverhead     seconds per output row (position x batch) of a matmul or convolution kernel beyond
     *                        its arithmetic (0 unless given): gathering and requantising each row, which dominates
     *                        a stem convolution with one input channel
     */
    public record FormatSpec(double peakOps, double energyPerMac, int align, double kernelOverhead, double rowOverhead) {}

    public HardwareProfile {
        formats = Collections.unmodifiableMap(new EnumMap<>(formats));
        weightBits = Collections.unmodifiableSet(new TreeSet<>(weightBits));
        activationBits = Collections.unmodifiableSet(new TreeSet<>(activationBits));
        if (formats.isEmpty()) throw new IllegalArgumentException("profile " + name + " has no formats");
    }

    /**
     * The smallest supported format that holds both bit-widths, or null when none does
     * (a float plan on an int8-only accelerator).
     */
    public Format computeFormat(int weightBits, int actBits) {
        int need = Math.max(weightBits, actBits);
        for (Format f : Format.LADDER) {
            if (formats.containsKey(f) && f.holds(need)) return f;
        }
        return null;
    }

    /**
     * The channel multiple pruned plans keep on this device ({@code align_to_device}): the int8 kernels' where the device
     * has int8 (what compressed plans mostly run in), else the widest format's.
     */
    public int pruningAlign() {
        return spec(formats.containsKey(Format.INT8) ? Format.INT8 : widestFormat()).align();
    }

    /** The widest format the device has: what an unsupported layer is costed in (and flagged). */
    public Format widestFormat() {
        Format widest = null;
        for (Format f : Format.LADDER) if (formats.containsKey(f)) widest = f;
        return widest != null ? widest : formats.keySet().iterator().next();
    }

    public FormatSpec spec(Format f) {
        return formats.get(f);
    }

    public List<String> formatKeys() {
        return formats.keySet().stream().map(Format::key).toList();
    }
}
