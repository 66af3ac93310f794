package io.github.yoloslim.engine;

/**
 * What a machine offers for building engines. Versions and the GPU are null where they could not be read.
 *
 * @param detail the loader's own words about what failed (e.g. the missing library), empty when available
 * @param computeCapability e.g. {@code 9.0} for an H100
 */
public record EngineEnvironment(Availability availability, String detail, String tensorRtVersion,
        String cudaRuntimeVersion, String driverVersion, String gpuName, String computeCapability) {

    /** Whether engines can be built here. */
    public boolean available() {
        return availability == Availability.AVAILABLE;
    }
}
