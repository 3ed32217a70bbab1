package dev.squeeze.model;

/**
 * Where a dependency group's units sit in one DL4J parameter of a layer.
 *
 * @param key   the DL4J parameter key
 * @param axis  the axis indexing the unit
 * @param block consecutive positions per unit along that axis
 */
public record ParamAxis(String key, int axis, long block) {}
