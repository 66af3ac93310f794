package io.github.yoloslim.quantize;

import io.github.yoloslim.InvalidInputException;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TensorRT's calibration-cache text, as {@code IInt8Calibrator::writeCalibrationCache} writes it and
 * {@code readCalibrationCache} / {@code trtexec --calib} read it for implicit INT8 (TensorRT 10 and older):
 *
 * <pre>
 * TRT-8601-EntropyCalibration2
 * images: 3c010204
 * /model.0/conv/Conv_output_0: 3d6a3c1b
 * </pre>
 *
 * The first line is {@code TRT-<version number>-<calibrator>}; then one line per tensor, its ONNX name, a colon,
 * and the IEEE-754 float32 bits of its scale ({@code amax / 127}) as eight lowercase hex digits, big-endian as
 * {@link Float#floatToIntBits} reads. TensorRT's own caches list the graph input too and are lowercase; this
 * writer sorts the lines by tensor name so the file is deterministic (TensorRT reads the lines into a map).
 *
 * <p>TensorRT compares the header with the calibrator that reads the cache: a cache whose version or calibrator
 * differs is ignored and TensorRT calibrates again. {@code trtexec --calib} reads with an entropy calibrator 2,
 * so {@code EntropyCalibration2} is the name to write for it whatever method computed the ranges.
 */
public final class TensorRtCalibrationCache {

    /** The calibrator name that {@code trtexec --calib} and an {@code IInt8EntropyCalibrator2} accept. */
    public static final String ENTROPY_CALIBRATION_2 = "EntropyCalibration2";

    /** The calibrator names TensorRT writes, from {@code CalibrationAlgoType}. */
    private static final Set<String> ALGORITHMS = Set.of("EntropyCalibration2", "EntropyCalibration",
            "MinMaxCalibration", "LegacyCalibration");
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)(?:\\.\\d+)?");
    private static final Pattern HEADER = Pattern.compile("TRT-\\d+-\\w+");
    private static final Pattern LINE = Pattern.compile("(.+): ([0-9a-fA-F]{1,8})");

    private TensorRtCalibrationCache() {
    }

    /**
     * The header's version tag for a TensorRT release, {@code TRT-<NV_TENSORRT_VERSION>}. The number is
     * {@code major·1000 + minor·100 + patch} up to TensorRT 9 ({@code 8.6.1 → TRT-8601}) and
     * {@code major·10000 + minor·100 + patch} from TensorRT 10, whose {@code NvInferRuntimeBase.h} widened it for
     * two-digit minors ({@code 10.3.0 → TRT-100300}, {@code 10.15.1 → TRT-101501}). A fourth (build) number is
     * ignored.
     *
     * @param element the setting the version came from, for messages
     * @throws InvalidInputException when {@code version} is not {@code major.minor.patch}
     */
    public static String versionTag(String version, String element) {
        Matcher m = VERSION.matcher(version.trim());
        if (!m.matches()) {
            throw badVersion(version, element, "is not major.minor.patch");
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        int patch = Integer.parseInt(m.group(3));
        if (major < 10 && (minor > 9 || patch > 99) || major >= 10 && (minor > 99 || patch > 99)) {
            throw badVersion(version, element, "has a minor or patch number too large for TensorRT's version number");
        }
        long number = major < 10 ? major * 1000L + minor * 100L + patch : major * 10000L + minor * 100L + patch;
        return "TRT-" + number;
    }

    private static InvalidInputException badVersion(String version, String element, String why) {
        return new InvalidInputException("<" + element + ">" + version + "</" + element + "> " + why
                + ". Give the TensorRT version the engine will be built with, e.g. 8.6.1 or 10.15.1 (`trtexec"
                + " --version` prints it).");
    }

    /**
     * The cache text: the header {@code <versionTag>-<algorithm>}, then {@code <tensor>: <scale bits>} for every
     * tensor, sorted by name, each line ending in a newline.
     *
     * @param versionTag as {@link #versionTag} returns, e.g. {@code TRT-8601}
     * @param algorithm the calibrator name, e.g. {@code EntropyCalibration2}
     * @throws IllegalArgumentException for an unknown algorithm, a tensor name TensorRT could not read back, or an
     *     amax that is not positive and finite
     */
    public static String format(String versionTag, String algorithm, Map<String, Double> amaxByTensor) {
        if (!ALGORITHMS.contains(algorithm)) {
            throw new IllegalArgumentException("unknown TensorRT calibrator '" + algorithm + "'; one of "
                    + new TreeSet<>(ALGORITHMS));
        }
        String header = versionTag + "-" + algorithm;
        if (!HEADER.matcher(header).matches()) {
            throw new IllegalArgumentException("version tag '" + versionTag + "' is not TRT-<number>");
        }
        StringBuilder text = new StringBuilder(header).append('\n');
        new TreeMap<>(amaxByTensor).forEach((tensor, amax) -> {
            if (tensor.isEmpty() || tensor.indexOf('\n') >= 0 || tensor.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("tensor name '" + tensor + "' cannot be written to a cache line");
            }
            if (!(amax > 0) || amax.isInfinite()) {
                throw new IllegalArgumentException("amax " + amax + " of tensor '" + tensor
                        + "' is not a positive finite number");
            }
            text.append(tensor).append(": ").append(hex((float) (amax / 127))).append('\n');
        });
        return text.toString();
    }

    /** A scale's big-endian float32 bits as eight lowercase hex digits ({@code 1.0f → 3f800000}). */
    static String hex(float scale) {
        return String.format(Locale.ROOT, "%08x", Float.floatToIntBits(scale));
    }

    /**
     * Reads cache text back: the scale of every tensor, in file order.
     *
     * @throws IllegalArgumentException when the text is not a TensorRT calibration cache
     */
    public static Map<String, Float> parse(String text) {
        String[] lines = text.split("\r?\n");
        if (lines.length == 0 || !HEADER.matcher(lines[0]).matches()) {
            throw new IllegalArgumentException("not a TensorRT calibration cache: the first line is not "
                    + "TRT-<version>-<calibrator>");
        }
        Map<String, Float> scales = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                continue;
            }
            Matcher m = LINE.matcher(lines[i]);
            if (!m.matches()) {
                throw new IllegalArgumentException("line " + (i + 1) + " of the calibration cache is not "
                        + "'<tensor>: <hex>': " + lines[i]);
            }
            scales.put(m.group(1), Float.intBitsToFloat(Integer.parseUnsignedInt(m.group(2), 16)));
        }
        return scales;
    }
}
